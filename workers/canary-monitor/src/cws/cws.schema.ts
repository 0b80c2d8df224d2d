import { z } from 'zod';

/**
 * Chrome Web Store API v2 wire shapes, written from the v2 reference and the discovery document
 * (research/canary.md §1.3; googleapis discovery revision 20260601). Google's JSON mapping omits
 * fields that hold their default value, so a 0 percentage or a false flag may simply be absent:
 * those fields default here. Unknown fields are allowed (Google adds fields without a version
 * bump); enums are open strings where a new value must not break a rollout.
 */

export const ITEM_STATES = [
  'ITEM_STATE_UNSPECIFIED',
  'PENDING_REVIEW',
  'STAGED',
  'PUBLISHED',
  'PUBLISHED_TO_TESTERS',
  'REJECTED',
  'CANCELLED',
] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const UPLOAD_STATES = [
  'UPLOAD_STATE_UNSPECIFIED',
  'SUCCEEDED',
  'IN_PROGRESS',
  'FAILED',
  'NOT_FOUND',
] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];

export const DistributionChannelSchema = z.object({
  crxVersion: z.string().min(1),
  /** `fetchStatus` may report 0 for a newly published revision: "not yet set" (§1.3). */
  deployPercentage: z.int().min(0).max(100).default(0),
});
export type DistributionChannel = z.infer<typeof DistributionChannelSchema>;

export const ItemRevisionStatusSchema = z.object({
  state: z.enum(ITEM_STATES).default('ITEM_STATE_UNSPECIFIED'),
  /** Several partial versions can be live at once: every entry matters, not just [0] (§1.3). */
  distributionChannels: z.array(DistributionChannelSchema).default([]),
});
export type ItemRevisionStatus = z.infer<typeof ItemRevisionStatusSchema>;

export const FetchItemStatusResponseSchema = z.object({
  name: z.string().optional(),
  itemId: z.string().optional(),
  publicKey: z.string().optional(),
  publishedItemRevisionStatus: ItemRevisionStatusSchema.optional(),
  submittedItemRevisionStatus: ItemRevisionStatusSchema.optional(),
  lastAsyncUploadState: z.enum(UPLOAD_STATES).optional(),
  takenDown: z.boolean().default(false),
  warned: z.boolean().default(false),
});
export type FetchItemStatusResponse = z.infer<typeof FetchItemStatusResponseSchema>;

export const PublishItemResponseSchema = z.object({
  name: z.string().optional(),
  itemId: z.string().optional(),
  state: z.enum(ITEM_STATES).default('ITEM_STATE_UNSPECIFIED'),
  warningInfo: z
    .object({
      warnings: z
        .array(z.object({ reason: z.string().optional(), description: z.string().optional() }))
        .default([]),
    })
    .optional(),
});
export type PublishItemResponse = z.infer<typeof PublishItemResponseSchema>;

export const UploadItemPackageResponseSchema = z.object({
  name: z.string().optional(),
  itemId: z.string().optional(),
  /** Unset while the upload is IN_PROGRESS: poll fetchStatus.lastAsyncUploadState. */
  crxVersion: z.string().optional(),
  uploadState: z.enum(UPLOAD_STATES).default('UPLOAD_STATE_UNSPECIFIED'),
});
export type UploadItemPackageResponse = z.infer<typeof UploadItemPackageResponseSchema>;

/** setPublishedDeployPercentage, cancelSubmission and rollback answer `{}`. */
export const EmptyResponseSchema = z.object({});

export const PublishItemRequestSchema = z.object({
  publishType: z.enum(['PUBLISH_TYPE_UNSPECIFIED', 'DEFAULT_PUBLISH', 'STAGED_PUBLISH']).optional(),
  deployInfos: z.array(z.object({ deployPercentage: z.int().min(0).max(100) })).optional(),
  skipReview: z.boolean().optional(),
  blockOnWarnings: z.boolean().optional(),
});
export type PublishItemRequest = z.infer<typeof PublishItemRequestSchema>;

/** `:rollback` (v2 reference; newer than the discovery documents read, §0 item 3). */
export const RollbackRequestSchema = z.object({
  targetCrxVersion: z.string().optional(),
  newVersion: z.string(),
  rollbackReason: z.string().optional(),
  validateOnly: z.boolean().optional(),
});
export type RollbackRequest = z.infer<typeof RollbackRequestSchema>;

export const SetPublishedDeployPercentageRequestSchema = z.object({
  deployPercentage: z.int().min(0).max(100),
});

/** Google's error model, v2 (`status`) or legacy (`errors[]`) (§1.4). */
export const GoogleErrorBodySchema = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional() })).optional(),
  }),
});

/** OAuth token endpoint error: `{"error":"invalid_grant","error_description":…}` (§1.1). */
export const OAuthErrorBodySchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});
