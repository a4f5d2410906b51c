import { useCallback, useEffect, useState } from 'react';
import { errorText, useClient } from './api';

/** GETs an admin API path; `reload()` fetches again (after a change). */
export function useApi<T>(path: string | null, pollMs = 0) {
  const client = useClient();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    client.call<T>('GET', path).then(
      (d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      },
      (e: unknown) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [client, path, tick]);
  useEffect(() => {
    if (!pollMs) return;
    const id = setInterval(reload, pollMs);
    return () => clearInterval(id);
  }, [pollMs, reload]);
  return { data, error, reload, setData };
}
