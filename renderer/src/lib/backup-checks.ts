/**
 * The checks the backup dialog shows before starting, from what the inventory already knows. Main
 * runs its own at the start of the job (host reachable, free space, credentials); these catch what
 * the user can fix before pressing Start.
 */
import type { RepositoryView } from "../../../preload/contract";
import type { VmItem } from "./vm-items";

export type CheckLevel = "pass" | "warn" | "fail";

export interface PreCheck {
  level: CheckLevel;
  subject: string;
  message: string;
}

export interface CheckInput {
  vms: VmItem[];
  repository: RepositoryView | undefined;
  repositoryPasswordKnown: boolean;
  type: "incremental" | "full" | "active-full";
  allowCrashConsistent: boolean;
}

export function backupChecks(input: CheckInput): PreCheck[] {
  const checks: PreCheck[] = [repositoryCheck(input)];
  if (input.vms.length === 0)
    checks.push({ level: "fail", subject: "VMs", message: "Choose at least one VM." });
  for (const vm of input.vms) checks.push(...vmChecks(vm, input));
  return checks;
}

function repositoryCheck({ repository, repositoryPasswordKnown }: CheckInput): PreCheck {
  if (!repository) return { level: "fail", subject: "Repository", message: "Choose a repository." };
  if (repository.encryption !== "none" && !repositoryPasswordKnown) {
    return {
      level: "fail",
      subject: repository.name,
      message: "Its password is not in the keychain: type it below.",
    };
  }
  return { level: "pass", subject: repository.name, message: `Repository at ${repository.path}.` };
}

function vmChecks(vm: VmItem, input: CheckInput): PreCheck[] {
  const checks: PreCheck[] = [];
  const subject = vm.name;
  if (vm.chain.level === "blocked") checks.push({ level: "fail", subject, message: vm.chain.reason });
  else if (vm.chain.level === "warning") checks.push({ level: "warn", subject, message: vm.chain.reason });
  else checks.push({ level: "pass", subject, message: `Snapshot chain: ${vm.chain.summary}.` });
  if (vm.sourceKind !== "vsphere") return checks;
  checks.push(consistencyCheck(vm, input.allowCrashConsistent));
  if (!vm.cbt && input.type === "incremental") {
    checks.push({
      level: "warn",
      subject,
      message:
        "Changed-block tracking is off: Snapferry turns it on, and this backup reads every allocated block.",
    });
  }
  if (vm.template) checks.push({ level: "warn", subject, message: "This is a template." });
  return checks;
}

function consistencyCheck(vm: VmItem, allowCrash: boolean): PreCheck {
  const subject = vm.name;
  if (vm.powerState !== "poweredOn") {
    return { level: "pass", subject, message: "Powered off: the disks are consistent as they are." };
  }
  if (vm.toolsRunning) {
    return { level: "pass", subject, message: "VMware Tools run: the snapshot will be quiesced." };
  }
  if (allowCrash) {
    return {
      level: "warn",
      subject,
      message: "VMware Tools do not run: the backup will be crash-consistent, like a pulled plug.",
    };
  }
  return {
    level: "fail",
    subject,
    message:
      "VMware Tools do not run, so the guest cannot be quiesced. Allow crash-consistent backups, or start the Tools.",
  };
}
