// The slice of node-postgres (`pg`, installed with @prisma/adapter-pg) that replicas/leader.ts uses; no @types/pg here.
declare module 'pg' {
  export class Client {
    constructor(config: { connectionString: string; connectionTimeoutMillis?: number; keepAlive?: boolean });
    connect(): Promise<void>;
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
    end(): Promise<void>;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  const pg: { Client: typeof Client };
  export default pg;
}
