// A typed call with the types graphql-codegen generates from the schema
// and schema/operations (see codegen.yml): tsc --strict checks the
// variables given and each field read against the schema.
import type { ApolloClient, TypedDocumentNode } from '@apollo/client/core';
import type {
  PlanDashboardQuery,
  PlanDashboardQueryVariables,
  RagStatus,
} from './generated/operations';

/** schema/operations/plan-dashboard.graphql, parsed by the caller. */
export type PlanDashboard = TypedDocumentNode<PlanDashboardQuery, PlanDashboardQueryVariables>;

/** Each measure's status in a council's plans for a period, by code. */
export async function statuses(
  client: ApolloClient<unknown>,
  query: PlanDashboard,
  slug: string,
  period: string,
): Promise<Map<string, RagStatus>> {
  const { data } = await client.query<PlanDashboardQuery, PlanDashboardQueryVariables>({
    query,
    variables: { slug, period },
    fetchPolicy: 'cache-first',
  });
  const found = new Map<string, RagStatus>();
  for (const plan of data.authority?.plans ?? []) {
    for (const node of plan.nodes) {
      for (const child of node.children) {
        for (const measure of child.measures) {
          if (measure.result) found.set(measure.code, measure.result.status);
        }
      }
    }
  }
  return found;
}
