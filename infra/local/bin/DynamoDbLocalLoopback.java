/*
 * DynamoDB Local bound to the loopback interface.
 *
 * DynamoDB Local has no option for the address it listens on: its DynamoDBProxyServer builds a Jetty
 * Server(port), which binds every interface, and it accepts any signature, so anyone who can reach the
 * machine could read or delete the tables. No JVM property changes Jetty's bind address. This launcher
 * builds the server exactly as DynamoDB Local's own main class does (same command line), sets the host
 * of its one connector to 127.0.0.1 before it starts, and starts it. It refuses to start when the
 * server's shape is not the expected one, rather than fall back to every interface.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local's server has no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("DynamoDB Local's connector is a " + connector.getClass().getName() + ", not a ServerConnector; cannot bind it to loopback");
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
