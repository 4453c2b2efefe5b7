// Where the shot comes from: a file dropped on the zone or picked with the (keyboard-reachable)
// file input, or a pasted URL the server fetches. Picking one clears the other.
import { useState } from 'preact/hooks';
import type { TargetedDragEvent } from 'preact';

export function ShotSourcePicker({
  fileName,
  url,
  onFile,
  onUrl,
  disabled,
}: {
  fileName: string | undefined;
  url: string;
  onFile(file: File): void;
  onUrl(url: string): void;
  disabled: boolean;
}) {
  const [dragging, setDragging] = useState(false);
  const onDrop = (event: TargetedDragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer?.files[0];
    if (file !== undefined && !disabled) onFile(file);
  };
  return (
    <div class="source">
      <div
        class={dragging ? 'drop-zone dragging' : 'drop-zone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label for="shot-file">Choose a still or a clip</label>
        <input
          id="shot-file"
          type="file"
          accept="image/*,video/*"
          disabled={disabled}
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            if (file !== undefined) onFile(file);
          }}
        />
        <p class="hint">{fileName === undefined ? 'or drop it here' : `Selected: ${fileName}`}</p>
      </div>
      <div class="field">
        <label for="shot-url">Or paste an image or video URL</label>
        <input
          id="shot-url"
          type="url"
          inputMode="url"
          placeholder="https://example.com/still.jpg"
          value={url}
          disabled={disabled}
          onInput={(event) => onUrl(event.currentTarget.value)}
        />
      </div>
    </div>
  );
}
