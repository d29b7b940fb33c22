export declare const NATIVE_SHA256_METHOD: '_ic_upload_sha256';
export declare const MIDSTATE_BYTES: 104;
export declare const HEADER_BYTES: 112;
export declare const FLAG_FINAL: 1;
export declare const FLAG_CHUNK_DIGEST: 2;
export declare const FLAG_STASHED: 4;
