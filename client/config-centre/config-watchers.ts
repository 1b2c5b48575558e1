// Who listens to which key of which namespace, and the change they are told about.

/** A change of a watched config item, as a ConfigChangeListener is told it. */
export interface ConfigChange {
  readonly namespace: string;
  readonly group: string;
  readonly key: string;
  /** The new value; undefined when the key was deleted. */
  readonly value: string | undefined;
  readonly previous: string | undefined;
  /** The new version; undefined when deleted. */
  readonly version: number | undefined;
  /** True when the new value is a gray release this client is in. */
  readonly gray: boolean;
}

/**
 * Called with each change of what it watches. What it throws is emitted as the ConfigClient's
 * 'listenerError' event and does not stop the other listeners.
 */
export type ConfigChangeListener = (change: ConfigChange) => void;

interface Registration {
  readonly namespace: string;
  /** undefined: every key of the namespace. */
  readonly key: string | undefined;
  readonly group: string;
  readonly listener: ConfigChangeListener;
}

export class ConfigWatchers {
  private readonly registrations = new Set<Registration>();

  /** `onListenerError` gets what a listener throws; the other listeners still run. */
  constructor(private readonly onListenerError: (error: unknown) => void) {}

  /** Registers a listener; returns what removes it. */
  add(namespace: string, key: string | undefined, group: string, listener: ConfigChangeListener): () => void {
    const registration: Registration = { namespace, key, group, listener };
    this.registrations.add(registration);
    return () => this.registrations.delete(registration);
  }

  /** Tells each matching listener; a listener that throws does not stop the others. */
  notify(change: ConfigChange): void {
    for (const registration of this.registrations) {
      if (registration.namespace !== change.namespace) continue;
      if (registration.key !== undefined && (registration.key !== change.key || registration.group !== change.group))
        continue;
      try {
        registration.listener(change);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  close(): void {
    this.registrations.clear();
  }
}
