/** Event names each seed system documents, shipped as catalogue presets (issue 5). */
import type { ProfileName } from "./profiles";

export const EVENT_PRESETS: Record<ProfileName, string[]> = {
  standard: ["hookline.ping"],
  bimdata: [
    "bcf.topic.creation", "bcf.topic.update", "bcf.topic.deletion",
    "bcf.comment.creation", "bcf.comment.update", "bcf.comment.deletion",
    "bcf.topic.full.creation", "bcf.topic.full.update", "ifc.process_update",
    "project.update", "project.creation", "visa.creation", "visa.update",
    "visa.validation.add", "visa.validation.remove", "document.creation", "document.update",
  ],
  itwin: [
    "iModelDeletedEvent", "NamedVersionCreatedEvent", "ChangesetPushedEvent",
    "ChangesetGroupCompletedEvent", "ChangesReadyEvent",
  ],
  speckle: [
    "stream_update", "stream_delete", "branch_create", "branch_update", "branch_delete",
    "commit_create", "commit_update", "commit_delete", "commit_receive",
    "stream_permissions_add", "stream_permissions_remove",
  ],
  idfy: [
    "document_canceled", "document_created", "document_deleted", "document_expired",
    "document_packaged", "document_partially_signed", "document_read", "document_signed",
  ],
  propstack: [
    "client_created", "client_updated", "property_created", "property_updated",
    "task_created", "task_updated", "task_deleted",
    "client_property_created", "client_property_updated", "client_property_deleted",
    "project_created", "project_updated", "document_created", "document_updated", "document_deleted",
    "saved_query_created", "saved_query_updated", "saved_query_deleted",
  ],
};
