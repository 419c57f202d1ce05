/** Disk image tools that need no repository: inspect, convert. */
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { positional, str, type Command } from "./command.js";

export const imageCommands: Record<string, Command> = {
  inspect: {
    summary: "show a disk image's format, chain and allocation, or a VMware VM folder",
    usage: "inspect FILE-OR-FOLDER [--json]",
    options: { json: { type: "boolean" } },
    async run(ctx) {
      const report = await (
        await import("../services/image-service.js")
      ).inspect(positional(ctx, 0, "FILE-OR-FOLDER"));
      if (ctx.out.json) {
        ctx.out.object(report);
        return;
      }
      if (report.kind === "vmware-folder") {
        const vm = report.vm;
        ctx.out.line(`VMware VM ${vm.name} (uuid ${vm.uuid ?? "unknown"})${vm.running ? " RUNNING" : ""}`);
        for (const d of vm.disks) ctx.out.line(`  ${d.slot}: ${d.file} (chain depth ${d.chainDepth})`);
        return;
      }
      const { info } = report;
      ctx.out.line(
        `${info.format} (${info.variant}), virtual size ${formatBytes(info.virtualSize)} (${info.virtualSize} bytes)`,
      );
      ctx.out.line(
        `allocated ${formatBytes(report.allocatedBytes)}, unallocated or zero ${formatBytes(report.zeroBytes)}`,
      );
      info.chain.forEach((layer, depth) =>
        ctx.out.line(
          `  ${depth === 0 ? "top" : `parent ${depth}`}: ${layer.path} (${layer.format} ${layer.variant}, file ${formatBytes(layer.fileSize)})`,
        ),
      );
    },
  },

  convert: {
    summary: "convert a disk image to another format (migrations)",
    usage: "convert IN OUT --format raw|vmdk|vmdk-stream|vmdk-flat|qcow2|vhdx [--overwrite] [--json]",
    options: { format: { type: "string" }, overwrite: { type: "boolean" }, json: { type: "boolean" } },
    async run(ctx) {
      const input = positional(ctx, 0, "IN (the image to convert)");
      const output = positional(ctx, 1, "OUT (the file to write)");
      const formatText = str(ctx, "format");
      if (!formatText)
        throw new UsageError("--format is required", "Name the output format, e.g. --format qcow2.");
      const result = await (
        await import("../services/image-service.js")
      ).convert({
        input,
        output,
        format: (await import("../services/image-service.js")).parseWriteFormat(formatText),
        overwrite: ctx.values.overwrite === true,
        onProgress: (e) => ctx.out.progress(e),
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      if (ctx.out.json)
        ctx.out.object({ output, bytesRead: result.bytesRead, bytesWritten: result.bytesWritten });
      ctx.out.line(
        `wrote ${output} from ${result.info.format} ${input}: read ${formatBytes(result.bytesRead)}, wrote ${formatBytes(result.bytesWritten)} of data`,
      );
    },
  },
};
