import rootPackage from '../../../package.json' with { type: 'json' };

/** One product version for every Worker and the SDK: they ship and are rolled back together. */
export const HOMEOSTAT_VERSION: string = rootPackage.version;
