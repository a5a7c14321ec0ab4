/**
 * Every server of the local stack is reachable from this machine only: connecting to its port through
 * the machine's non-loopback address is refused, while the loopback address answers. The stack runs on
 * a data folder as `npm start` runs it, against the test run's DynamoDB Local (started by the same code
 * as npm start's). A second check lists every listening TCP socket of this process and its children, so
 * that a server added later without a loopback bind is caught as well.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

/** The machine's first non-internal IPv4 address, if it has one. */
function externalIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function tryConnect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Listening TCP sockets of the given processes, read from /proc: `address:port` per socket. */
function listeningSockets(pids: number[]): { address: string; port: number }[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  const out: { address: string; port: number }[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A: LISTEN
      const [hex, portHex] = f[1]!.split(':') as [string, string];
      out.push({ address: procAddress(hex), port: parseInt(portHex, 16) });
    }
  }
  return out;
}

/** /proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) byte order. */
function procAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => (word.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const isMappedV4 = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMappedV4) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups
    .join(':')
    .replace(/\b(?:0:)+0\b/, ':')
    .replace(/^:?:/, '::');
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

const external = externalIPv4();

describe.skipIf(!external)(
  `local servers are reachable from this machine only (non-loopback address ${external ?? 'none: the machine has no non-loopback IPv4 address'})`,
  () => {
    let stack: LocalStack;
    let dataDir: string;

    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'cos-loopback-'));
      stack = await startLocalStack({
        dataDir,
        dynamodbEndpoint: dynamodbEndpoint(),
        tableName: `loopback-${path.basename(dataDir)}`,
        seed: false,
        startWorkflows: false,
      });
    });

    afterAll(async () => {
      await stack?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const servers = (): Record<string, number> => ({
      'HTTP gateway (API, dashboard, token issuer keys)': stack.port,
      'Step Functions API': Number(new URL(stack.sfnEndpoint).port),
      'Lambda API': Number(new URL(stack.lambdaEndpoint).port),
      'DynamoDB Local': Number(new URL(stack.dynamodbEndpoint).port),
    });

    it('refuses connections through the non-loopback address and accepts them on loopback', async () => {
      const seen: Record<string, { loopback: string; external: string }> = {};
      for (const [name, port] of Object.entries(servers())) {
        seen[name] = { loopback: await tryConnect('127.0.0.1', port), external: await tryConnect(external!, port) };
      }
      for (const name of Object.keys(seen)) expect(seen[name], name).toEqual({ loopback: 'connected', external: 'ECONNREFUSED' });
    });

    it.skipIf(process.platform !== 'linux')('has no listening socket outside loopback in this process or its children', () => {
      const sockets = listeningSockets(descendants(process.pid));
      const ports = new Set(sockets.map((s) => s.port));
      // The listing does see the stack's servers (DynamoDB Local is the test run's, a child of another process).
      for (const [name, port] of Object.entries(servers())) if (name !== 'DynamoDB Local') expect(ports.has(port), name).toBe(true);
      expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
    });
  },
);
