import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubSettingsError, describeHubSettings, loadHubSettings } from '../../src/config/hub-settings.js';

describe('loadHubSettings', () => {
  it('uses the huggingface_hub defaults when nothing is set', () => {
    const settings = loadHubSettings({}, '/srv/shotvl');
    expect(settings).toEqual({
      endpoint: 'https://huggingface.co',
      token: undefined,
      huggingFaceHome: join(homedir(), '.cache', 'huggingface'),
      downloadDir: join(homedir(), '.cache', 'huggingface', 'shotvl-downloads'),
      modelStore: '/srv/shotvl/models/store',
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('reads every variable, with HF_TOKEN preferred over its older name', () => {
    const settings = loadHubSettings(
      {
        HF_ENDPOINT: 'https://hf-mirror.example.com/',
        HF_TOKEN: ' hf_new ',
        HUGGING_FACE_HUB_TOKEN: 'hf_old',
        HF_HOME: 'cache/hf',
        SHOTVL_MODEL_STORE: '/data/models',
      },
      '/srv/shotvl',
    );
    expect(settings.endpoint).toBe('https://hf-mirror.example.com');
    expect(settings.token).toBe('hf_new');
    expect(settings.huggingFaceHome).toBe('/srv/shotvl/cache/hf');
    expect(settings.downloadDir).toBe('/srv/shotvl/cache/hf/shotvl-downloads');
    expect(settings.modelStore).toBe('/data/models');
    expect(loadHubSettings({ HUGGING_FACE_HUB_TOKEN: 'hf_old', HF_TOKEN: '' }).token).toBe('hf_old');
    expect(loadHubSettings({ XDG_CACHE_HOME: '/xdg' }).huggingFaceHome).toBe('/xdg/huggingface');
  });

  it('rejects endpoints that are not plain http(s) base URLs', () => {
    for (const endpoint of [
      'ftp://hub.example.com',
      'not a url',
      'https://user:pass@hub.example.com',
      'https://hub.example.com/?x=1',
    ]) {
      expect(() => loadHubSettings({ HF_ENDPOINT: endpoint }), endpoint).toThrow(HubSettingsError);
    }
  });

  it('never prints the token', () => {
    const line = describeHubSettings(loadHubSettings({ HF_TOKEN: 'hf_supersecret' }));
    expect(line).not.toContain('hf_supersecret');
    expect(line).toContain('token=set (redacted)');
  });
});
