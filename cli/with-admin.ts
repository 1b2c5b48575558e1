// Runs a piece of admin work with an Admin client that is always closed afterwards, turning
// any failure into the one-line message the CLI prints.
import { Admin } from '../client/index.js';
import { cliFailure, type FailureSubject } from './cli-failure.js';
import { clientSecurityFromEnvironment } from './flags/client-security.js';

export async function withAdmin<T>(
  nameServer: string,
  subject: FailureSubject,
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = new Admin({ nameServer, ...clientSecurityFromEnvironment() });
  try {
    return await work(admin);
  } catch (error) {
    throw cliFailure(error, subject);
  } finally {
    await admin.close();
  }
}
