/** Types of scripts/system-packages.mjs, for the TypeScript test helpers that import it. */
export declare const DEBIAN_PYTHON: string;
export declare function onPath(program: string): boolean;
export declare const SYSTEM_PACKAGES: Array<{ name: string; what: string; present(): boolean }>;
export declare const installCommand: (names: string | string[]) => string;
export declare function missingLine(name: string): string | undefined;
