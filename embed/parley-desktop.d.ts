// Types of the Parley desktop host API (parley-desktop.js). Checked by `tsc` in the tests.

export declare const VERSION: 1;

/** Why a request failed. */
export type ErrorCode =
  | 'timeout'
  | 'closed'
  | 'unavailable'
  | 'forbidden'
  | 'unknown_method'
  | 'invalid'
  | 'not_found'
  | 'signed_out'
  | 'unsupported_locale'
  | 'files_waiting';

export declare class ParleyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string);
}

/** `"ready"`, or not ready with one of the configured reasons. */
export type AgentStatus = 'ready' | { not_ready: { reason: string | null } };

export interface AgentState {
  signedIn: boolean;
  agent: string | null;
  name: string | null;
  status: AgentStatus | null;
  /** Not-ready reasons the agent may choose. */
  reasons: string[];
  /** Open chats and offers. */
  load: number;
  /** How many chats the agent takes at once (null until the desktop knows). */
  capacity: number | null;
}

export interface Interaction {
  id: string;
  contact: string;
  email: string | null;
  /** The e-mail came from an identity the contact's site signed. */
  verified: boolean;
  subject: string | null;
  queue: string;
  state: 'queued' | 'offered' | 'active' | 'ended';
  caseData: Record<string, string>;
}

export interface Offer {
  invitation: string;
  interaction: Interaction;
  /** Milliseconds since 1970. */
  expiresAt: number;
}

/** Whom to consult, transfer to or conference: an agent, or the agents of a group, skill or queue. */
export type Target = { agent: string } | { group: string } | { skill: string } | { queue: string };

export interface Hello {
  version: 1;
  /** The scopes this page's origin may use. */
  scopes: string[];
  /** Whether an agent is signed in to the desktop now. */
  signedIn: boolean;
}

/** Where an event stands in the server's order: the chat and the `seq` of its last event
 * (a message's own `seq`), or the offer. Status, focus and connection events have none. */
export interface Position {
  interaction?: string;
  seq?: number;
  invitation?: string;
}

/** A link to the contact's record, which the desktop shows on the chat. */
export interface ContactRecord {
  label: string;
  /** An `http:` or `https:` address. */
  url: string;
}

/** What the desktop asks the page's contact search. */
export interface ContactQuery {
  interaction: string;
  name: string;
  email: string | null;
  verified: boolean;
  caseData: Record<string, string>;
}

export type InterceptedAction = 'markDone' | 'transfer';

/** What the desktop asks an interceptor before the action happens. */
export interface Interception {
  action: InterceptedAction;
  interaction: string;
  caseData: Record<string, string>;
  /** Mark Done: what the agent chose. */
  disposition?: string | null;
  note?: string | null;
  /** Transfer: to whom. */
  target?: Target;
}

/** Allow (adding case data to the chat first, if given), or refuse with a message the agent reads. */
export type Verdict = { allow: true; caseData?: Record<string, string> } | { allow: false; message?: string };

export interface Methods {
  hello: { params: { cursor?: string; resume?: string }; result: Hello };
  'agent.getState': { params: Record<string, never>; result: AgentState };
  'agent.setStatus': { params: { status: AgentStatus }; result: null };
  'interactions.list': { params: Record<string, never>; result: Interaction[] };
  'interactions.offers': { params: Record<string, never>; result: Offer[] };
  /** One open chat in full: the pages the contact visited (`visit`) and who takes part. */
  'interactions.get': {
    params: { interaction: string };
    result: Interaction & {
      visit: unknown;
      parties: { name: string; agent: string | null; status: 'connected' | 'consulting' | 'left' }[];
    };
  };
  'interactions.accept': { params: { interaction: string }; result: null };
  'interactions.reject': { params: { interaction: string }; result: null };
  'interactions.end': { params: { interaction: string }; result: null };
  'interactions.markDone': {
    params: { interaction: string; disposition?: string; note?: string };
    result: null;
  };
  'interactions.setCaseData': {
    params: { interaction: string; key: string; value?: string | null };
    result: null;
  };
  'interactions.focus': { params: { interaction: string }; result: null };
  'collaboration.consult': { params: { interaction: string; target: Target }; result: null };
  'collaboration.transfer': { params: { interaction: string; target: Target }; result: null };
  'collaboration.conference': { params: { interaction: string; target: Target }; result: null };
  'collaboration.endConsultation': {
    params: { interaction: string; consultation?: string };
    result: null;
  };
  'collaboration.remove': { params: { interaction: string; agent: string }; result: null };
  'chat.insertText': { params: { interaction: string; text: string }; result: null };
  'chat.send': { params: { interaction: string; text: string }; result: null };
  /** Needs `ui.control`: only `--pl-…` properties with plain values. */
  'ui.setTheme': { params: { properties: Record<string, string> }; result: null };
  /** Needs `ui.control`; `unsupported_locale` for a language the desktop does not speak yet,
   * `files_waiting` while files attached in a chat wait to be sent (the reload would lose them). */
  'ui.setLocale': { params: { locale: string }; result: { locale: string } };
  /** What this page answers for (the SDK sends it; use `handle` and `intercept`). */
  'host.register': {
    params: {
      contactSearch: boolean;
      interceptors: { action: InterceptedAction; onTimeout: 'proceed' | 'refuse'; timeoutMs: number }[];
    };
    result: null;
  };
}

export interface Events {
  offered: Offer;
  accepted: { interaction: Interaction };
  /** Right after `offered` and after `accepted`: the moment to open the customer's record. */
  screenPop: { reason: 'offered' | 'accepted'; interaction: Interaction };
  /** The offer is no longer open (accepted, rejected, timed out or withdrawn). */
  offerGone: { invitation: string; interaction: string };
  /** The agent rejected the offer (before `offerGone`). */
  rejected: { invitation: string; interaction: string };
  /** A message in an open chat; `text` only with the `chat.read` scope. */
  message: {
    interaction: string;
    seq: number;
    /** Milliseconds since 1970. */
    at: number;
    from: 'contact' | 'agent' | 'system';
    agent: string | null;
    /** Said in this consultation, which the contact does not see. */
    consultation: string | null;
    text?: string;
  };
  /** The chat shown in the desktop changed. */
  focusChanged: { interaction: string | null };
  /** The desktop lost its connection to the server (it reconnects by itself)... */
  connectionLost: Record<string, never>;
  /** ...and has it again. */
  connectionBack: Record<string, never>;
  status: { status: AgentStatus };
  /** The agent signed in inside the frame. */
  signedIn: { agent: string; name: string };
  /** The agent signed out (`logout`) or the session ended (`expired`): requests but `hello`
   * and `agent.getState` are refused with `signed_out` until the next `signedIn`. */
  signedOut: { reason: 'logout' | 'expired' };
  /** The chat ended (this agent may still have to mark it done). */
  ended: { interaction: string };
  /** The agent marked the chat done, with what they chose (before `closed`). */
  done: { interaction: string; disposition: string | null; note: string | null };
  /** The chat left this desktop (done, transferred, removed). */
  closed: { interaction: string };
}

export declare class ParleyDesktop {
  static connect(
    frame: HTMLIFrameElement,
    options?: { origin?: string; timeoutMs?: number },
  ): Promise<ParleyDesktop>;
  constructor(frame: HTMLIFrameElement, options?: { origin?: string; timeoutMs?: number });
  readonly origin: string;
  readonly hello: Hello | null;
  request<M extends keyof Methods>(
    method: M,
    params?: Methods[M]['params'],
    options?: { timeoutMs?: number },
  ): Promise<Methods[M]['result']>;
  on<E extends keyof Events>(event: E, handler: (data: Events[E], position: Position) => void): () => void;
  /** Answers the desktop's contact search for each new chat. */
  handle(
    question: 'contactSearch',
    handler: (query: ContactQuery) => Promise<{ record: ContactRecord | null }> | { record: ContactRecord | null },
  ): Promise<null>;
  /** Allows, amends or refuses an action before it happens. */
  intercept(
    action: InterceptedAction,
    handler: (what: Interception) => Promise<Verdict> | Verdict,
    options?: { onTimeout?: 'proceed' | 'refuse'; timeoutMs?: number },
  ): Promise<null>;
  setTheme(properties: Record<string, string>): Promise<null>;
  setLocale(locale: string): Promise<{ locale: string }>;
  close(): void;
}
