/** A long-running part of the backend (API server, a projector, the scheduler...). */
export interface Component {
  name: string;
  /** Stop taking work, finish what is in flight, release resources. */
  stop(): Promise<void>;
}

export function component(name: string, stop: () => Promise<void> | void): Component {
  return { name, stop: async () => await stop() };
}
