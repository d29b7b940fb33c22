import { IDL } from '@icp-sdk/core/candid';
import { describe, expect, it } from 'vitest';
import { contractTypes, idlFactory } from '../../candid/ic_upload.js';

describe('candid contract', () => {
  it('builds the service with every contract method', () => {
    const service = idlFactory({ IDL }) as IDL.ServiceClass;
    expect(service._fields.map(([name]) => name).sort()).toEqual(
      ['abort', 'begin', 'blob_info', 'delete_asset', 'finish', 'get_asset', 'limits', 'list_assets', 'list_assets_page', 'my_uploads', 'put_chunk', 'read_chunk', 'set_public', 'stats', 'upload_status'].sort()
    );
  });
  it('round-trips an Error variant', () => {
    const t = contractTypes(IDL);
    const bytes = IDL.encode([t.Error], [{ ChunkConflict: { index: 7 } }]);
    expect(IDL.decode([t.Error], bytes)[0]).toEqual({ ChunkConflict: { index: 7 } });
  });
});
