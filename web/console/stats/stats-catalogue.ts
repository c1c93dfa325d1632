/**
 * What can be counted (GET /v1/stats/catalogue): the dimensions with their codes and labels, the
 * other series, the crossings kept, the disclosure threshold, the months with cases. Fetched
 * once per session by the first statistics screen that needs it (a failure is tried again next time).
 */
import { call, type ResponseOf } from '../api.js';

export type StatsCatalogue = ResponseOf<'getStatsCatalogue'>;

let loading: Promise<StatsCatalogue> | null = null;

export function loadStatsCatalogue(): Promise<StatsCatalogue> {
  loading ??= call('getStatsCatalogue').catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}
