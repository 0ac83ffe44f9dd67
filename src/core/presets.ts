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
  // iTwin Webhooks API v2: the events its changelog and "available events" pages list
  itwin_v2: [
    "iModels.iModelDeleted.v1", "iModels.iModelCreated.v1", "iModels.namedVersionCreated.v1", "iModels.changesReady.v1",
    "accessControl.memberAdded.v1", "accessControl.memberRemoved.v1", "accessControl.roleAssigned.v1",
    "accessControl.roleUnassigned.v1", "accessControl.invitationCreated.v1", "iTwins.iTwinCreated.v1", "iTwins.iTwinDeleted.v1",
    "synchronization.jobCompleted.v1", "transformations.jobCompleted.v1", "realityModeling.jobCompleted.v1",
    "realityAnalysis.jobCompleted.v1", "realityConversion.jobCompleted.v1", "changedElements.jobCompleted.v1",
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
