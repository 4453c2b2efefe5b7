// Which video containers are handed to ffmpeg, recognised by their magic bytes. ffmpeg can open far
// more than video files: playlists (HLS, ffconcat), image sequences and network references would let an
// upload make the server read other local files or fetch URLs. So the container is sniffed from the
// first bytes against an allow-list, and ffmpeg is told that demuxer explicitly (`-f`), so it never
// probes its way to another one.

export const SUPPORTED_VIDEO_CONTAINERS = ['mp4', 'matroska', 'avi', 'mpegts', 'mpeg', 'flv', 'ogg'] as const;
export type VideoContainer = (typeof SUPPORTED_VIDEO_CONTAINERS)[number];

/** ffmpeg demuxer name for each container (`ffmpeg -demuxers`). */
export const DEMUXER_OF: Readonly<Record<VideoContainer, string>> = Object.freeze({
  // The mov demuxer reads MP4, MOV, 3GP and M4V; `format_name` is "mov,mp4,m4a,3gp,3g2,mj2".
  mp4: 'mov',
  // The matroska demuxer reads WebM too; `format_name` is "matroska,webm".
  matroska: 'matroska',
  avi: 'avi',
  mpegts: 'mpegts',
  mpeg: 'mpeg',
  flv: 'flv',
  ogg: 'ogg',
});

/** How many leading bytes `sniffVideoContainer` needs (MPEG-TS checks three 188-byte packets). */
export const VIDEO_SNIFF_BYTES = 188 * 3;

/** ISO BMFF boxes that can open an MP4/MOV file (ftyp normally; QuickTime files may start otherwise). */
const ISO_BMFF_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** The container of `bytes` (the file's first VIDEO_SNIFF_BYTES or more), or undefined if not allowed. */
export function sniffVideoContainer(bytes: Uint8Array): VideoContainer | undefined {
  if (bytes.length >= 8 && ISO_BMFF_FIRST_BOXES.has(ascii(bytes, 4, 4))) return 'mp4';
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3)
    return 'matroska';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'AVI ') return 'avi';
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === 'OggS') return 'ogg';
  if (bytes.length >= 4 && ascii(bytes, 0, 3) === 'FLV' && bytes[3] === 0x01) return 'flv';
  if (bytes.length >= 4 && bytes[0] === 0x00 && bytes[1] === 0x00 && bytes[2] === 0x01 && bytes[3] === 0xba)
    return 'mpeg';
  // MPEG-TS: a sync byte 0x47 every 188 bytes.
  if (bytes.length >= VIDEO_SNIFF_BYTES && bytes[0] === 0x47 && bytes[188] === 0x47 && bytes[376] === 0x47)
    return 'mpegts';
  return undefined;
}
