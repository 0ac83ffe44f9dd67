/**
 * Speckle's webhook schema, as speckle-server publishes it
 * (packages/server/assets/webhooks/typedefs/webhooks.graphql; resolvers in
 * packages/server/modules/webhooks/graph/resolvers/webhooks.ts). Types, fields, arguments,
 * defaults and nullability are Speckle's. `Stream` and `Project` carry only `id` and `webhooks`
 * here (Hookline does not hold streams), and the auth directives are replaced by Hookline's key check.
 */
export const SPECKLE_WEBHOOK_SDL = /* GraphQL */ `
"""An ISO 8601 date-time string."""
scalar DateTime

type Query {
  stream(id: String!): Stream
  project(id: String!): Project!
}

type Stream {
  id: String!
  webhooks(id: String): WebhookCollection!
    @deprecated(reason: "Part of the old API surface and will be removed in the future. Use Project.webhooks instead.")
}

type Project {
  id: String!
  webhooks(id: String): WebhookCollection!
}

type Mutation {
  """
  Creates a new webhook on a stream
  """
  webhookCreate(webhook: WebhookCreateInput!): String!

  """
  Updates an existing webhook
  """
  webhookUpdate(webhook: WebhookUpdateInput!): String!

  """
  Deletes an existing webhook
  """
  webhookDelete(webhook: WebhookDeleteInput!): String!
}

type WebhookCollection {
  totalCount: Int!
  items: [Webhook!]!
}

type Webhook {
  id: String!
  streamId: String!
  projectId: String!
  hasSecret: Boolean!
  url: String!
  description: String
  triggers: [String!]!
  enabled: Boolean
  history(limit: Int! = 25): WebhookEventCollection
}

type WebhookEventCollection {
  totalCount: Int
  items: [WebhookEvent]
}

type WebhookEvent {
  id: String!
  webhookId: String!
  status: Int!
  statusInfo: String!
  retryCount: Int!
  lastUpdate: DateTime!
  payload: String!
}

input WebhookCreateInput {
  streamId: String!
  url: String!
  description: String
  triggers: [String!]!
  secret: String
  enabled: Boolean
}

input WebhookUpdateInput {
  id: String!
  streamId: String!
  url: String
  description: String
  secret: String
  enabled: Boolean
  triggers: [String!]
}

input WebhookDeleteInput {
  id: String!
  streamId: String!
}
`;
