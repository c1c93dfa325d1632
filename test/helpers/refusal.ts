import { ApiError } from '../../src/sdk/index.js';

/** The status and problem code a refused SDK call answers; a call that succeeds fails the test. */
export async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('the call was not refused');
}
