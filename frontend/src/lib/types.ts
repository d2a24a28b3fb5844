// Wire types: the JSON shapes of app/contract.go and cloud/{state,types}.go.
// Times arrive as RFC 3339 strings. Keep these in step with the Go tags;
// they are the only description of the backend the views rely on.

export type ConnState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'error';

/** cloud.State: the connection as the manager sees it. */
export interface ConnectionState {
  state: ConnState;
  agentId?: string;
  agentName?: string;
  since: string;
  lastError?: string;
  reconnectAttempt?: number;
  maxReconnectAttempts?: number;
  lastHeartbeatAt?: string | null;
  lastBackupAt?: string | null;
}

export type CreditLevel = 'ok' | 'low' | 'critical';

export interface CreditsView {
  balance: number | null;
  level?: CreditLevel | '';
  low: boolean;
  critical: boolean;
  topUpUrl: string;
  updatedAt?: string | null;
  error?: string;
}

export type LoginStatusWord =
  | 'idle'
  | 'pending'
  | 'authenticated'
  | 'expired'
  | 'error'
  | 'cancelled';

export interface LoginView {
  status: LoginStatusWord | '';
  sessionId?: string;
  browserUrl?: string;
  keyPrefix?: string;
  error?: string;
}

export interface SettingsView {
  baseUrl: string;
  notifications: boolean;
  startAtLogin: boolean;
  configPath: string;
}

export interface Notice {
  kind: 'credits' | 'connection' | 'backup' | 'config' | 'info' | string;
  level: 'info' | 'warning' | 'critical' | string;
  message: string;
  at?: string;
}

export interface Snapshot {
  /**
   * Numbers snapshots in the order the app took them (from 1, per run of
   * the app). A snapshot numbered at or below the one shown is older and
   * is dropped; absent or 0 means unnumbered.
   */
  seq?: number;
  version: string;
  sim: boolean;
  baseUrl: string;
  loggedIn: boolean;
  keyPrefix?: string;
  userId?: string;
  organizationId?: string;
  connection: ConnectionState;
  credits: CreditsView;
  login: LoginView;
  lastAgentId?: string;
  lastAgentName?: string;
  settings: SettingsView;
  configError?: string;
  desktop: boolean;
  trayAvailable: boolean;
  noticeCount?: number;
  lastNotice?: Notice | null;
  identityChecked: boolean;
}

export interface LoginEvent {
  status: LoginStatusWord;
  keyPrefix?: string;
  error?: string;
}

export interface BackupEvent {
  agentId: string;
  ok: boolean;
  backupId?: string;
  error?: string;
}

export interface HeartbeatEvent {
  agentId: string;
  at: string;
}

/** The event stream: SSE event names and Wails runtime event names. */
export type EventMap = {
  snapshot: Snapshot;
  state: Snapshot;
  login: LoginEvent;
  backup: BackupEvent;
  notice: Notice;
  credits: CreditsView;
  heartbeat: HeartbeatEvent;
  settings: SettingsView;
};
export type EventType = keyof EventMap;
export const EVENT_TYPES: readonly EventType[] = [
  'snapshot',
  'state',
  'login',
  'backup',
  'notice',
  'credits',
  'heartbeat',
  'settings',
];

/** A typed event; the discriminated union lets the reducer narrow `data`. */
export type AppEvent = { [K in EventType]: { type: K; data: EventMap[K] } }[EventType];

export interface StatusView {
  connected: boolean;
  enabled: boolean;
  hasApiKey: boolean;
  userId?: string | null;
  organizationId?: string | null;
  topUpUrl?: string;
  reason?: string;
  connection: ConnectionState;
}

export interface CreditsResponse {
  connected: boolean;
  balance: number | null;
  low?: boolean;
  critical?: boolean;
  topUpUrl?: string;
  error?: string;
}

export interface BalanceSample {
  at: string;
  balance: number;
}

export interface LoginStart {
  ok: boolean;
  sessionId: string;
  browserUrl: string;
}

export interface LoginStatus {
  status: 'pending' | 'authenticated' | 'expired' | 'error' | string;
  keyPrefix?: string;
  error?: string;
}

export interface CreateAgentInput {
  agentName: string;
  environmentVars?: Record<string, string>;
}

export type AgentStatus = 'pending' | 'provisioning' | 'running' | 'stopped' | 'disconnected' | 'error';

export interface Agent {
  id: string;
  agentName: string | null;
  status: AgentStatus | string;
  databaseStatus?: string;
  bridgeUrl?: string | null;
  lastBackupAt: string | null;
  lastHeartbeatAt: string | null;
  errorMessage: string | null;
  errorCount?: number;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectResult {
  ok: boolean;
  agentId: string;
  agentName?: string;
  status: string;
}

export interface Backup {
  id: string;
  snapshotType: string;
  sizeBytes: number | null;
  createdAt: string;
}

export interface RestoreResult {
  restoredFromBackupId: string;
  snapshotType: string;
  createdAt: string;
}

export interface ChatReply {
  text: string;
  agentId: string;
}

export interface ChatMessage {
  at: string;
  agentId: string;
  roomId: string;
  role: 'user' | 'agent';
  text: string;
}
