/** The names of a report's groups: districts, urban/rural schools, district-size classes. */
import type { GroupBy } from '../../../shared/domain/equal-conditions.js';
import type { I18n, MessageKey } from './i18n.js';
import { districtName } from './program.js';

export function groupName(group: string, groupBy: GroupBy, { t, lang }: Pick<I18n, 't' | 'lang'>): string {
  if (groupBy === 'district') return districtName(group, lang);
  return t(`equal.group.${group}` as MessageKey);
}
