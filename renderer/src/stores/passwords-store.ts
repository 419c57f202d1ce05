/**
 * Passwords typed during this session (a repository's, a vSphere server's) that the user chose not
 * to keep in the keychain. They live in memory only, so the user types each once per session; a
 * reload forgets them, and none is ever written anywhere.
 */
import { create } from "zustand";
import { without } from "../lib/records";

interface PasswordsState {
  byId: Record<string, string>;
  remember(id: string, password: string): void;
  forget(id: string): void;
}

export const usePasswordsStore = create<PasswordsState>()((set) => ({
  byId: {},
  remember(id, password) {
    set((s) => ({ byId: { ...s.byId, [id]: password } }));
  },
  forget(id) {
    set((s) => ({ byId: without(s.byId, id) }));
  },
}));

/** `{ password }` when one was typed this session, else `{}`: the shape optional inputs take. */
export function sessionPassword(id: string): { password?: string } {
  const password = usePasswordsStore.getState().byId[id];
  return password ? { password } : {};
}
