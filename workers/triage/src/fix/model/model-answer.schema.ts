import { z } from 'zod';

/**
 * The part of a chat completion (openai's `ChatCompletion`) the fixer reads, checked at the edge:
 * the SDK types the answer but does not validate it, and an OpenAI-compatible endpoint is any
 * server at all. Not strict — providers add fields of their own — but bounded.
 */

export const UsageSchema = z.object({
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
});

export const ChatAnswerSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.int().min(0),
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .max(64),
  usage: UsageSchema.nullable().optional(),
});

/** When the answer as a whole is unusable, its usage may still say what it cost. */
export const UsageOnlySchema = z.object({ usage: UsageSchema });
