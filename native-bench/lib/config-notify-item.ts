// The one config item the notify benchmark publishes and its watchers watch.
export const CONFIG_NOTIFY_ITEM = { namespace: 'bench-ns', key: 'bench-key' } as const;
