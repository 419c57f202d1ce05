/**
 * The point of instant recovery: a machine boots straight from a restore point. A tiny disk
 * whose MBR boot sector prints a line on the serial port is backed up, served by `snapferry
 * serve`, and booted by QEMU (TCG, no KVM needed) over NBD; the line must appear.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, requireTool } from "../support/cli.js";
import { startServe } from "../support/nbd.js";
import { MiB, backupJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const MESSAGE = "SNAPFERRY BOOT OK";

/**
 * A 512-byte MBR boot sector, hand-assembled x86 real-mode code. The BIOS loads it at 0x7C00.
 * It writes MESSAGE to COM1, waiting for the transmit holding register to be empty before each
 * byte, then halts with interrupts off. The message starts at offset 0x28 (address 0x7C28).
 */
function bootSector(): Buffer {
  // prettier-ignore
  const code = [
    0xfa,             // 00 cli                  no interrupts: nothing may wake us after hlt
    0x31, 0xc0,       // 01 xor ax, ax
    0x8e, 0xd8,       // 03 mov ds, ax           ds = 0: the message is at 0:7C28
    0x8e, 0xd0,       // 05 mov ss, ax
    0xbc, 0x00, 0x7c, // 07 mov sp, 0x7C00       stack below the boot sector
    0xfc,             // 0A cld                  lodsb counts up
    0xbe, 0x28, 0x7c, // 0B mov si, 0x7C28       si = the message
    0xac,             // 0E next: lodsb          al = [si++]
    0x84, 0xc0,       // 0F test al, al
    0x74, 0x12,       // 11 jz done (0x25)       a NUL ends the message
    0x88, 0xc3,       // 13 mov bl, al           keep the byte while dx/al poll the port
    0xba, 0xfd, 0x03, // 15 wait: mov dx, 0x3FD  COM1 line status register
    0xec,             // 18 in al, dx
    0xa8, 0x20,       // 19 test al, 0x20        bit 5: transmit holding register empty
    0x74, 0xf8,       // 1B jz wait (0x15)
    0xba, 0xf8, 0x03, // 1D mov dx, 0x3F8        COM1 data register
    0x88, 0xd8,       // 20 mov al, bl
    0xee,             // 22 out dx, al
    0xeb, 0xe9,       // 23 jmp next (0x0E)
    0xf4,             // 25 done: hlt
    0xeb, 0xfd,       // 26 jmp done (0x25)      in case something wakes the CPU
  ];
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector, 0);
  assert.equal(code.length, 0x28);
  sector.write(`${MESSAGE}\r\n\0`, 0x28, "latin1");
  sector[510] = 0x55; // the BIOS boots only a sector that ends 55 AA
  sector[511] = 0xaa;
  return sector;
}

describe("booting a VM from a served restore point", () => {
  const tmp = makeTempDir("nbd-boot");
  after(() => tmp.cleanup());

  it(`boots the backed-up boot sector over NBD and prints "${MESSAGE}"`, async () => {
    requireTool("qemu-system-x86_64", "qemu-system-x86");
    const repo = path.join(tmp.dir, "repo");
    const image = path.join(tmp.dir, "boot.raw");
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    const disk = Buffer.alloc(4 * MiB);
    bootSector().copy(disk, 0);
    new SeededBytes("boot data").bytes(MiB).copy(disk, 2 * MiB); // a few data chunks besides the MBR
    writeFileSync(image, disk);
    const rp = (await backupJson(repo, image)).restorePoint;
    const served = await startServe([
      "--repo",
      repo,
      rp.slice(0, 8),
      "--port",
      "0",
      "--overlay",
      path.join(tmp.dir, "ov"),
    ]);
    const serial = path.join(tmp.dir, "serial.txt");
    const qemu = spawn(
      "qemu-system-x86_64",
      [
        ...["-machine", "accel=tcg", "-m", "32", "-nographic", "-no-reboot", "-nic", "none"],
        ...["-serial", `file:${serial}`, "-display", "none", "-monitor", "none"],
        ...["-drive", `file=${served.url},format=raw,if=ide`],
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let qemuErr = "";
    qemu.stderr.on("data", (d: Buffer) => (qemuErr += d.toString()));
    const qemuExit = new Promise<void>((resolve) => qemu.on("exit", () => resolve()));
    let output = "";
    try {
      for (
        let waited = 0;
        waited < 60_000 && !output.includes(MESSAGE) && qemu.exitCode === null;
        waited += 250
      ) {
        await new Promise((r) => setTimeout(r, 250));
        if (existsSync(serial)) output = readFileSync(serial, "latin1");
      }
    } finally {
      qemu.kill("SIGKILL");
      await qemuExit;
      assert.equal(await served.stop(), 0, served.stderr());
    }
    assert.ok(output.includes(MESSAGE), `no "${MESSAGE}" on the serial port:\n${output}\nqemu: ${qemuErr}`);
    assert.match(served.stderr(), /opened/);
  });
});
