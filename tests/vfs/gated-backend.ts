// A memory backend that counts data-object gets and puts and can hold either until released (to see what waits, without sleeps).
import { MemoryBackend } from "../../src/fs/store/memory.ts";

type Gate = { wait: Promise<void> | null; open: (() => void) | null };

export class GatedBackend extends MemoryBackend {
  dataGets = 0;
  dataPuts = 0;
  private readonly gets: Gate = { wait: null, open: null };
  private readonly puts: Gate = { wait: null, open: null };

  holdGets(): void {
    this.gets.wait = new Promise((r) => (this.gets.open = r));
  }
  holdPuts(): void {
    this.puts.wait = new Promise((r) => (this.puts.open = r));
  }
  /** Lets every held get and put go, and holds nothing more. */
  release(): void {
    for (const g of [this.gets, this.puts]) {
      g.open?.();
      g.wait = null;
    }
  }
  override async get(key: string): Promise<Uint8Array> {
    if (key.startsWith("data/")) {
      this.dataGets++;
      if (this.gets.wait) await this.gets.wait;
    }
    return super.get(key);
  }
  override async put(key: string, data: Uint8Array): Promise<void> {
    if (key.startsWith("data/")) {
      this.dataPuts++;
      if (this.puts.wait) await this.puts.wait;
    }
    return super.put(key, data);
  }
}
