// The unique id requests (TRIBUTARY_ID_*, 21200-21299): fields in extFields, answers likewise
// (see protocol/request-code.ts). A refusal is SYSTEM_ERROR with a remark that starts with its
// stable code (IdRefusalCode), which the client turns back into a typed error.
import { ExtFieldReader, HeaderFieldError } from '../../protocol/ext-field-reader.js';
import { responseTo, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { ID_SEQUENCE_NAME_CHARS_MAX } from '../broker-constants.js';
import { IdRefusal, type IdSequences } from '../state/id-sequences.js';

const NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;

export class IdProcessor {
  constructor(private readonly ids: IdSequences) {}

  create(request: RemotingCommand): Promise<RemotingCommand> {
    return this.answer(request, async (fields) => {
      await this.ids.create(nameOf(fields, 'sequence'), fields.integer('start'), fields.integer('step'));
      return {};
    });
  }

  take(request: RemotingCommand): Promise<RemotingCommand> {
    return this.answer(request, async (fields) => {
      const range = await this.ids.take(nameOf(fields, 'sequence'), fields.integer('count'));
      return { first: range.first, step: range.step, count: range.count };
    });
  }

  lease(request: RemotingCommand): Promise<RemotingCommand> {
    return this.answer(request, async (fields) => {
      const grant = await this.ids.lease(
        nameOf(fields, 'space'),
        nameOf(fields, 'holder'),
        fields.integer('ttlMs'),
        fields.integer('workerCount'),
        fields.optionalInteger('workerId'),
      );
      return { workerId: grant.workerId, expiresAtMs: grant.expiresAtMs };
    });
  }

  release(request: RemotingCommand): Promise<RemotingCommand> {
    return this.answer(request, async (fields) => {
      await this.ids.release(nameOf(fields, 'space'), nameOf(fields, 'holder'), fields.integer('workerId'));
      return {};
    });
  }

  list(request: RemotingCommand): RemotingCommand {
    const body = Buffer.from(JSON.stringify(this.ids.sequences()));
    return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, body);
  }

  private async answer(
    request: RemotingCommand,
    handle: (fields: ExtFieldReader) => Promise<Record<string, string | number>>,
  ): Promise<RemotingCommand> {
    try {
      return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, await handle(new ExtFieldReader(request.extFields)));
    } catch (error) {
      if (error instanceof IdRefusal) return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message);
      if (error instanceof HeaderFieldError)
        return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, `INVALID_ARGUMENT: ${error.message}`);
      throw error;
    }
  }
}

function nameOf(fields: ExtFieldReader, field: string): string {
  const name = fields.string(field);
  if (name.length === 0 || name.length > ID_SEQUENCE_NAME_CHARS_MAX || !NAME_PATTERN.test(name))
    throw new IdRefusal('INVALID_ARGUMENT', `${field} must be 1..${ID_SEQUENCE_NAME_CHARS_MAX} of A-Z a-z 0-9 _ . : -`);
  return name;
}
