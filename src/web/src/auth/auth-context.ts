/** The signed-in user, for every component under the auth gate. */
import { createContext, useContext } from 'react';
import type { Me } from '../api/types';

export interface Auth {
  me: Me;
  /** Ends the session on the server, then shows the login page. */
  signOut(): Promise<void>;
}

export const AuthContext = createContext<Auth | null>(null);

/** The signed-in user; only components rendered inside AuthGate may ask. */
export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth() outside AuthGate');
  return auth;
}
