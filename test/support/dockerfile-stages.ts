// Reads a Dockerfile into its build stages and their instructions, for tests that check it
// where no Docker engine runs: continuation lines joined, comments and parser directives
// dropped, each instruction with its line number.

export interface DockerInstruction {
  /** Upper case: FROM, RUN, COPY, ... */
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface DockerfileStage {
  readonly image: string;
  /** The AS name, if any. */
  readonly name: string | undefined;
  readonly index: number;
  /** Every instruction from this FROM up to the next, the FROM included. */
  readonly instructions: readonly DockerInstruction[];
}

export function readDockerfileStages(source: string): DockerfileStage[] {
  const stages: { image: string; name: string | undefined; index: number; instructions: DockerInstruction[] }[] = [];
  for (const instruction of dockerInstructions(source)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (match === null) throw new Error(`Dockerfile line ${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({ image: match[1]!, name: match[2], index: stages.length, instructions: [instruction] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile line ${instruction.line}: before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

function dockerInstructions(source: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending = '';
  let startLine = 0;
  source.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) return;
    if (pending === '') startLine = i + 1;
    const continued = trimmed.endsWith('\\');
    pending += (pending === '' ? '' : ' ') + (continued ? trimmed.slice(0, -1).trim() : trimmed);
    if (continued) return;
    const space = pending.search(/\s/);
    const keyword = (space < 0 ? pending : pending.slice(0, space)).toUpperCase();
    instructions.push({ keyword, args: space < 0 ? '' : pending.slice(space + 1).trim(), line: startLine });
    pending = '';
  });
  if (pending !== '') throw new Error('Dockerfile: ends inside a continued line');
  return instructions;
}
