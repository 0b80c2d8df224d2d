/** Replaced at build time with the ingest URL (build.ts). */
declare const __HOMEOSTAT_ENDPOINT__: string;
