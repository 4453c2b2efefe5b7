// Small browser file helpers: what kind of media a file or URL holds, reading a file as a data URL
// (chat attachments travel inside the JSON request), and saving text as a download.

export type MediaKind = 'image' | 'video';

const VIDEO_EXTENSIONS = /\.(mp4|m4v|mov|webm|mkv|avi|mpe?g|ogv|gif)$/i;

/** From the browser's MIME type; undefined when it does not say (the server decides from the bytes). */
export function fileKind(file: File): MediaKind | undefined {
  if (file.type.startsWith('image/') && file.type !== 'image/gif') return 'image';
  if (file.type.startsWith('video/')) return 'video';
  return undefined;
}

/** A guess from a URL's path or data: type, for the still/clip choice the JSON request needs. */
export function urlKind(url: string): MediaKind {
  if (url.startsWith('data:')) return url.startsWith('data:video/') ? 'video' : 'image';
  try {
    return VIDEO_EXTENSIONS.test(new URL(url).pathname) ? 'video' : 'image';
  } catch {
    return 'image';
  }
}

export function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}

export function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has been handled: revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
