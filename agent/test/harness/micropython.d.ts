// Types for the part of @micropython/micropython-webassembly-pyscript the tests use
// (the package ships JavaScript only). See micropython.mjs: loadMicroPython().
declare module '@micropython/micropython-webassembly-pyscript' {
  export interface EmscriptenFS {
    mkdir(path: string): void;
    mkdirTree(path: string): void;
    writeFile(path: string, data: Uint8Array | string): void;
    readFile(path: string): Uint8Array;
    readdir(path: string): string[];
    stat(path: string): { mode: number };
    isDir(mode: number): boolean;
  }

  export interface MicroPython {
    FS: EmscriptenFS;
    runPython(code: string): unknown;
    registerJsModule(name: string, module: object): void;
    pyimport(name: string): Record<string, unknown>;
  }

  export interface LoadOptions {
    /** Heap size in bytes (default 1 MiB). */
    heapsize?: number;
    pystack?: number;
    stdout?: (line: string) => void;
    stderr?: (line: string) => void;
    linebuffer?: boolean;
  }

  export function loadMicroPython(options?: LoadOptions): Promise<MicroPython>;
}
