/** Written by the build (tools/build-web.mjs): the crypto worker's hashed URL. */
declare const __CONSOLE_WORKER__: string;
/** Written by the build: each language's catalogue URL, by language code. */
declare const __CONSOLE_CATALOGUES__: Record<string, string>;

/** The File System Access API's save dialog (Chromium): absent elsewhere, so optional. */
interface SaveFilePickerOptions {
  suggestedName?: string;
}
interface Window {
  showSaveFilePicker?(options?: SaveFilePickerOptions): Promise<FileSystemFileHandle>;
}
