/** A graph the JS engine cannot run, or inputs that do not fit it; `reason` names the node, op or value. */
export class GraphError extends Error {
  override name = 'GraphError';
  constructor(public readonly reason: string) {
    super(reason);
  }
}
