// The configs the golden files are rendered from: one with every share kind, one minimal (no shares).
import type { ProvisionConfigInput } from "../../src/provision/index.ts";

export const FULL: ProvisionConfigInput = {
  storageUrl: "s3c://minio.example:9000/backups/office",
  mountpoint: "/srv/coffer-office",
  coffer: "/usr/local/bin/coffer",
  cacheSize: "20G",
  fsid: "0b7e2d0e-5a3c-4c1e-9f5e-2d7c1a9b8e10",
  owner: { user: "coffer", group: "coffer", uid: 990, gid: 990 },
  credentials: { backendLogin: "ACCESS", backendPassword: "SECRET", fsPassphrase: "a long passphrase", backendOptions: "no-ssl" },
  samba: { share: "office" },
  nfs: { clients: ["192.168.1.0/24", "10.0.0.7"], server: "ganesha" },
};

export const MINIMAL: ProvisionConfigInput = {
  storageUrl: "local:///var/lib/coffer/demo-store",
  mountpoint: "/mnt/coffer-demo",
  fsid: "7d1f6c52-0c7e-4f63-8d8e-3b1a2c4d5e6f",
  owner: { user: "coffer", group: "coffer", uid: 990, gid: 990 },
  credentials: { fsPassphrase: "demo" },
};
