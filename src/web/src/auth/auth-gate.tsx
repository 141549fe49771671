/** Renders the app only for a signed-in user; otherwise the loader, the login page or the error. */
import { useMemo, type ReactNode } from 'react';
import { AuthContext, type Auth } from './auth-context';
import { AuthLoading } from './auth-loading';
import { AuthUnavailable } from './auth-unavailable';
import { LoginPage } from './login-page';
import { useAuthState } from './use-auth-state';

export function AuthGate({ children }: { children: ReactNode }) {
  const { state, retry, signedIn, signOut } = useAuthState();
  const me = state.status === 'signed-in' ? state.me : null;
  const auth = useMemo<Auth | null>(() => (me ? { me, signOut } : null), [me, signOut]);

  switch (state.status) {
    case 'loading':
      return <AuthLoading />;
    case 'unavailable':
      return <AuthUnavailable error={state.error} onRetry={retry} />;
    case 'signed-out':
      return <LoginPage expired={state.expired} onSignedIn={signedIn} />;
    case 'signed-in':
      return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
  }
}
