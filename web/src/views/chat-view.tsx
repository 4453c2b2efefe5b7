// The Chat view: a conversation with the model, images and clips attached as data URLs, the answer
// streamed token by token from /v1/chat/completions, and a Stop button that aborts the request (the
// server notices the closed connection and stops generating).
import { useEffect, useRef, useState } from 'preact/hooks';
import { isAbort, type ApiClient, type UiConfig } from '../api/api-client.js';
import { fileKind, readDataUrl, type MediaKind } from '../browser/files.js';

interface Attachment {
  name: string;
  kind: MediaKind;
  dataUrl: string;
}

interface ChatMessage {
  role: 'user' | 'assistant';
  text: string;
  attachments: Attachment[];
  /** Assistant messages: how the answer ended. */
  ending?: 'streaming' | 'finished' | 'stopped' | 'failed';
  note?: string;
}

const DEFAULT_MAX_TOKENS = 512;

function content(message: ChatMessage): unknown {
  if (message.attachments.length === 0) return message.text;
  return [
    ...message.attachments.map((attachment) =>
      attachment.kind === 'image'
        ? { type: 'image_url', image_url: { url: attachment.dataUrl } }
        : { type: 'video_url', video_url: { url: attachment.dataUrl } },
    ),
    { type: 'text', text: message.text },
  ];
}

export function ChatView({ client, config }: { client: ApiClient; config: UiConfig }) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [draft, setDraft] = useState('');
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [maxTokens, setMaxTokens] = useState(DEFAULT_MAX_TOKENS);
  const [temperature, setTemperature] = useState(0.7);
  const [attachError, setAttachError] = useState<string | undefined>(undefined);
  const controller = useRef<AbortController | undefined>(undefined);
  const streaming = messages.at(-1)?.ending === 'streaming';

  useEffect(() => () => controller.current?.abort(), []);

  const updateLast = (change: (message: ChatMessage) => ChatMessage) =>
    setMessages((current) => [...current.slice(0, -1), change(current.at(-1) as ChatMessage)]);

  const attach = async (files: FileList | null) => {
    setAttachError(undefined);
    for (const file of Array.from(files ?? [])) {
      const kind = fileKind(file);
      if (kind === undefined) {
        setAttachError(`${file.name} is neither an image nor a video.`);
        continue;
      }
      const dataUrl = await readDataUrl(file);
      setAttachments((current) => [...current, { name: file.name, kind, dataUrl }]);
    }
  };

  const send = async () => {
    if (streaming || (draft.trim() === '' && attachments.length === 0)) return;
    const total = messages.reduce((count, message) => count + message.attachments.length, attachments.length);
    if (total > config.max_media_items) {
      setAttachError(`This server takes at most ${config.max_media_items} images and videos per conversation.`);
      return;
    }
    const question: ChatMessage = { role: 'user', text: draft.trim(), attachments };
    const history = [...messages.filter((message) => message.ending !== 'failed'), question];
    setMessages([...messages, question, { role: 'assistant', text: '', attachments: [], ending: 'streaming' }]);
    setDraft('');
    setAttachments([]);
    const abort = new AbortController();
    controller.current = abort;
    const started = performance.now();
    let tokens = 0;
    try {
      const stream = client.chatStream(
        {
          model: config.model,
          messages: history.map((message) => ({ role: message.role, content: content(message) })),
          max_tokens: maxTokens,
          temperature,
        },
        abort.signal,
      );
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
        if (piece !== '') updateLast((message) => ({ ...message, text: message.text + piece }));
      }
      const seconds = (performance.now() - started) / 1000;
      updateLast((message) => ({
        ...message,
        ending: 'finished',
        note: `${tokens} tokens in ${seconds.toFixed(1)} s`,
      }));
    } catch (error) {
      if (isAbort(error)) {
        updateLast((message) => ({ ...message, ending: 'stopped', note: 'Stopped.' }));
        return;
      }
      updateLast((message) => ({
        ...message,
        ending: 'failed',
        note: error instanceof Error ? error.message : String(error),
      }));
    } finally {
      if (controller.current === abort) controller.current = undefined;
    }
  };

  return (
    <div class="chat">
      <ol class="messages" aria-label="Conversation" aria-live="polite">
        {messages.map((message, index) => (
          <li key={index} class={`message ${message.role}`} data-ending={message.ending}>
            <span class="speaker">{message.role === 'user' ? 'You' : 'ShotVL'}</span>
            {message.attachments.map((attachment) =>
              attachment.kind === 'image' ? (
                <img key={attachment.name} class="attachment" src={attachment.dataUrl} alt={attachment.name} />
              ) : (
                <span key={attachment.name} class="attachment-name">
                  🎞 {attachment.name}
                </span>
              ),
            )}
            <p class="message-text">{message.text}</p>
            {message.note !== undefined ? (
              <p
                class={message.ending === 'failed' ? 'error' : 'hint'}
                role={message.ending === 'failed' ? 'alert' : undefined}
              >
                {message.note}
              </p>
            ) : null}
          </li>
        ))}
      </ol>
      <form
        class="panel chat-form"
        aria-label="Send a message"
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <div class="field">
          <label for="chat-input">Message</label>
          <textarea
            id="chat-input"
            rows={3}
            value={draft}
            onInput={(event) => setDraft(event.currentTarget.value)}
            onKeyDown={(event) => {
              // Enter sends, Shift+Enter starts a new line.
              if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
                event.preventDefault();
                void send();
              }
            }}
          />
        </div>
        {attachments.length > 0 ? (
          <ul class="pending" aria-label="Attachments">
            {attachments.map((attachment, index) => (
              <li key={`${attachment.name}-${index}`}>
                {attachment.name}
                <button
                  type="button"
                  class="secondary small"
                  aria-label={`Remove ${attachment.name}`}
                  onClick={() => setAttachments((current) => current.filter((_, other) => other !== index))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        <div class="chat-options">
          <div class="field">
            <label for="chat-attach">Attach images or clips</label>
            <input
              id="chat-attach"
              type="file"
              accept="image/*,video/*"
              multiple
              onChange={(event) => {
                void attach(event.currentTarget.files);
                event.currentTarget.value = '';
              }}
            />
          </div>
          <div class="field small">
            <label for="chat-max-tokens">Max tokens</label>
            <input
              id="chat-max-tokens"
              type="number"
              min={1}
              max={32768}
              value={maxTokens}
              onInput={(event) => setMaxTokens(Math.max(1, Number(event.currentTarget.value) || 1))}
            />
          </div>
          <div class="field small">
            <label for="chat-temperature">Temperature</label>
            <input
              id="chat-temperature"
              type="number"
              min={0}
              max={2}
              step={0.1}
              value={temperature}
              onInput={(event) => setTemperature(Math.min(2, Math.max(0, Number(event.currentTarget.value) || 0)))}
            />
          </div>
        </div>
        {attachError !== undefined ? (
          <p class="error" role="alert">
            {attachError}
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={streaming}>
            Send
          </button>
          <button type="button" class="secondary" disabled={!streaming} onClick={() => controller.current?.abort()}>
            Stop
          </button>
          <button
            type="button"
            class="secondary"
            disabled={streaming || messages.length === 0}
            onClick={() => setMessages([])}
          >
            Clear conversation
          </button>
        </div>
      </form>
    </div>
  );
}
