/** Where a command reads and writes: the process by default, buffers in tests. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadStream | (NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown });
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}
