// One config item as a client sees it (its gray releases applied).

/** One item as this client sees it. */
export interface ConfigItem {
  readonly group: string;
  readonly key: string;
  readonly value: string;
  readonly version: number;
  /** True when this client sees a gray release of the item. */
  readonly gray: boolean;
}
