import { z } from 'zod';
import { defineOperator, FilteredError } from '../../framework/index.ts';

// An operator is a plain async function with declared inputs and outputs.
export const createGreetOperator = ({ greeting }: { greeting: string }) =>
  defineOperator({
    name: 'greet',
    version: '1.0.0',
    inputs: { name: z.string().describe('who to greet') },
    outputs: { message: z.string() },
    async handler({ name }) {
      if (name.trim() === '') throw new FilteredError('empty-name');
      return { message: `${greeting}, ${name}!` };
    },
  });

export const shout = defineOperator({
  name: 'shout',
  version: '1.0.0',
  inputs: { message: z.string() },
  outputs: { loud: z.string() },
  async handler({ message }) {
    return { loud: message.toUpperCase() };
  },
});
