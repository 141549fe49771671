/** While the app asks the server who is signed in. */
import { Center, Loader } from '@mantine/core';

export function AuthLoading() {
  return (
    <Center mih="100vh" role="status" aria-label="Checking who is signed in">
      <Loader />
    </Center>
  );
}
