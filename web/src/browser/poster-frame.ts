// A poster frame for a clip the person picked, taken in the browser: a muted <video> seeks a little
// into the clip and a canvas copies the frame. The server needs nothing from this; it only lets
// the page show what is being analysed. Browsers that cannot decode the clip get no poster.

const POSTER_TIMEOUT_MS = 10_000;
/** Far enough in to skip a black first frame, never past the middle of a short clip. */
const POSTER_AT_SECONDS = 0.5;

export interface PosterFrame {
  url: string;
  width: number;
  height: number;
  durationSeconds: number;
}

function once(target: HTMLVideoElement, event: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = () => reject(new Error('the browser cannot decode this clip'));
    target.addEventListener(event, () => resolve(), { once: true });
    target.addEventListener('error', fail, { once: true });
    signal.addEventListener('abort', fail, { once: true });
  });
}

export async function posterFrame(clip: Blob): Promise<PosterFrame> {
  const source = URL.createObjectURL(clip);
  const video = document.createElement('video');
  const timeout = AbortSignal.timeout(POSTER_TIMEOUT_MS);
  try {
    video.muted = true;
    video.preload = 'auto';
    video.playsInline = true;
    const loaded = once(video, 'loadeddata', timeout);
    video.src = source;
    await loaded;
    const duration = Number.isFinite(video.duration) ? video.duration : 0;
    const seeked = once(video, 'seeked', timeout);
    video.currentTime = Math.min(POSTER_AT_SECONDS, duration / 2);
    await seeked;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d');
    if (context === null || canvas.width === 0) throw new Error('no frame to draw');
    context.drawImage(video, 0, 0);
    return {
      url: canvas.toDataURL('image/jpeg', 0.85),
      width: video.videoWidth,
      height: video.videoHeight,
      durationSeconds: duration,
    };
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(source);
  }
}
