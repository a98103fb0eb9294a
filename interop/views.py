"""FHIR and CSV endpoints under /api/v1/. DRF views for its authentication (session or token)
and error answers; the bodies are FHIR JSON, NDJSON or CSV written by interop.fhir/exports.
Exports read from the replica when there is one (clinic/replica.py), streams included."""

import json

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from clinic.audit import audit_record
from clinic.models import AuditEvent, Clinic
from clinic.replica import ReplicaReads
from clinic.selectors import clinic_resolve
from clinic.shortcuts import or_404
from clinic.types import StaffApiRequest

from . import exports, fhir, selectors

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
CLINIC_PARAMETER = OpenApiParameter(
    "clinic", str, description="The clinic's slug; defaults to the first you manage, by name."
)


def _export_clinic(request: StaffApiRequest) -> Clinic:
    """Whole-clinic exports are a manager's job: the clinic the request means among those the
    user manages (clinic.selectors.clinic_resolve); 404 for anyone else."""
    try:
        return clinic_resolve(user=request.user, slug=request.GET.get("clinic"), managed=True)
    except Clinic.DoesNotExist:
        raise Http404 from None


def _fhir_response(resource: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")), content_type=FHIR_JSON
    )


def _download(
    request: StaffApiRequest, clinic, chunks, *, content_type: str, filename: str
) -> StreamingHttpResponse:
    # A whole clinic leaving the system is audited (ids only, never PHI) before a byte is sent.
    audit_record(action=AuditEvent.Action.EXPORT, actor=request.user, clinic_id=clinic.pk)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PatientBundleView(ReplicaReads, APIView):
    """GET /api/v1/patients/<id>/fhir/: the patient's record as a FHIR R4 collection Bundle."""

    @extend_schema(
        operation_id="patient_fhir_bundle",
        responses={(200, FHIR_JSON): OpenApiTypes.OBJECT},
        tags=["fhir"],
    )
    def get(self, request: StaffApiRequest, patient_id: int):
        record = or_404(selectors.patient_record, user=request.user, patient_id=patient_id)
        audit_record(
            action=AuditEvent.Action.EXPORT,
            actor=request.user,
            obj=record.patient,
            patient=record.patient,
        )
        base = request.build_absolute_uri("/api/v1/fhir/")
        return _fhir_response(fhir.patient_bundle(record, base=base, timestamp=timezone.now()))


class IntakeQuestionnaireView(APIView):
    """GET /api/v1/fhir/Questionnaire/intake: the Questionnaire intakes answer."""

    @extend_schema(
        operation_id="fhir_intake_questionnaire",
        responses={(200, FHIR_JSON): OpenApiTypes.OBJECT},
        tags=["fhir"],
    )
    def get(self, request: StaffApiRequest):
        return _fhir_response(fhir.intake_questionnaire())


class BulkExportView(ReplicaReads, APIView):
    """GET /api/v1/fhir/export/<type>.ndjson: every resource of one type in the manager's
    clinic, streamed as NDJSON."""

    @extend_schema(
        operation_id="fhir_bulk_export",
        parameters=[
            CLINIC_PARAMETER,
            OpenApiParameter(
                "resource_type", str, OpenApiParameter.PATH, enum=exports.RESOURCE_TYPES
            ),
        ],
        responses={(200, FHIR_NDJSON): OpenApiTypes.STR},
        tags=["fhir"],
    )
    def get(self, request: StaffApiRequest, resource_type: str):
        if resource_type not in exports.RESOURCE_TYPES:
            raise Http404
        clinic = _export_clinic(request)
        return _download(
            request,
            clinic,
            exports.ndjson(clinic=clinic, resource_type=resource_type),
            content_type=FHIR_NDJSON,
            filename=f"{clinic.slug}-{resource_type}.ndjson",
        )


class CsvExportView(ReplicaReads, APIView):
    """GET /api/v1/export/patients.csv and sessions.csv for the manager's clinic, streamed."""

    writers = {"patients": exports.patients_csv, "sessions": exports.sessions_csv}

    @extend_schema(
        operation_id="csv_export",
        parameters=[
            CLINIC_PARAMETER,
            OpenApiParameter("table", str, OpenApiParameter.PATH, enum=["patients", "sessions"]),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        tags=["export"],
    )
    def get(self, request: StaffApiRequest, table: str):
        if table not in self.writers:
            raise Http404
        clinic = _export_clinic(request)
        return _download(
            request,
            clinic,
            self.writers[table](clinic=clinic),
            content_type="text/csv; charset=utf-8",
            filename=f"{clinic.slug}-{table}.csv",
        )
