// Shapes of issue 11's new routes, written here until the Go DTOs and the
// regenerated contract arrive; then these are the generated types.

export interface TopUpResponse {
  ok: boolean;
  url: string;
}

export interface UsageTransaction {
  id: string;
  amount: number;
  type: string;
  description: string;
  createdAt: string;
}

export interface UsageResponse {
  transactions: UsageTransaction[] | null;
  hours: number;
  spent: number;
  added: number;
  burnRatePerHour: number | null;
}

export interface LogoutResult {
  ok: boolean;
  status: string;
  keyStillValid?: boolean;
  revokeUrl?: string;
}

import type { SettingsView } from './types';

/** skipWhenIdle reads cloud.backup.skipWhenIdle from the settings (default true). */
export function skipWhenIdle(s: SettingsView): boolean {
  return (s as SettingsView & { backupSkipWhenIdle?: boolean }).backupSkipWhenIdle !== false;
}

/** revokePage is the cloud's API-keys page, where a key is revoked for good. */
export function revokePage(base: string): string {
  return `${base.replace(/\/+$/, '')}/dashboard/api-keys`;
}
