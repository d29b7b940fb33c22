import { describe, expect, it } from 'vitest';
import { assetUrl } from '../../../src/client/asset_url.js';

describe('assetUrl', () => {
  const id = 'uxrrr-q7777-77774-qaaaq-cai';
  it('names mainnet and the local network, with percent-encoded segments and ?variant=', () => {
    expect(assetUrl(id, 'photos/a b.jpg')).toBe(`https://${id}.icp0.io/photos/a%20b.jpg`);
    expect(assetUrl(id, 'photos/a b.jpg', { variant: 'thumb' })).toBe(`https://${id}.icp0.io/photos/a%20b.jpg?variant=thumb`);
    expect(assetUrl(id, 'x#y?.txt', { variant: 'original', network: 'http://127.0.0.1:4943' })).toBe(`http://${id}.localhost:4943/x%23y%3F.txt`);
  });
});
