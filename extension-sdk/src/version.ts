/** Sent as `sdk.version`; test/version.test.ts holds it equal to package.json's. */
export const SDK_VERSION = '0.1.0';
