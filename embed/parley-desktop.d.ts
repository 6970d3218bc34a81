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
  | 'signed_out';

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
}

export interface Methods {
  hello: { params: Record<string, never>; result: Hello };
  'agent.getState': { params: Record<string, never>; result: AgentState };
  'agent.setStatus': { params: { status: AgentStatus }; result: null };
  'interactions.list': { params: Record<string, never>; result: Interaction[] };
  'interactions.offers': { params: Record<string, never>; result: Offer[] };
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
}

export interface Events {
  offered: Offer;
  accepted: { interaction: Interaction };
  offerGone: { invitation: string };
  status: { status: AgentStatus };
  /** The agent signed in inside the frame. */
  signedIn: { agent: string; name: string };
  /** The agent signed out (or the session ended): requests but `hello` and
   * `agent.getState` are refused with `signed_out` until the next `signedIn`. */
  signedOut: Record<string, never>;
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
  /** `position` grows with each change of the agent's state the desktop reports. */
  on<E extends keyof Events>(event: E, handler: (data: Events[E], position: number) => void): () => void;
  close(): void;
}
