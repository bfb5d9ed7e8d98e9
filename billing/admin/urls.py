"""Back-office URLs of billing, under ``/admin/facturation/`` (namespace ``billing_admin``,
registered in ``billing/wagtail_hooks.py``), answering 404 when the collectivity's billing
module is off."""

from django.urls import path

from portal.modules import Module, gate_patterns

from . import (
    accounts,
    certificates,
    direct_debit,
    exports,
    imports,
    invoices,
    regies,
    reminders,
    runs,
    tariffs,
)

urlpatterns = gate_patterns(
    Module.BILLING,
    [
        path("factures/", invoices.invoices, name="invoices"),
        path("factures/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
        path("factures/<int:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
        path("factures/<int:pk>/annuler/", invoices.invoice_cancel, name="invoice_cancel"),
        path("familles/<int:pk>/compte/", accounts.statement, name="statement"),
        path("familles/<int:pk>/reglement/", accounts.payment_add, name="payment_add"),
        path("regies/", regies.regies, name="regies"),
        path("regies/ajouter/", regies.regie_add, name="regie_add"),
        path("regies/<int:pk>/", regies.regie_edit, name="regie_edit"),
        path("import/", imports.invoices_import, name="import"),
        path("import/modele.csv", imports.import_template, name="import_template"),
        path("reglements/export/", imports.payments_export, name="payments_export"),
        path("tarifs/", tariffs.tariffs, name="tariffs"),
        path("tarifs/ajouter/", tariffs.tariff_add, name="tariff_add"),
        path("tarifs/<int:pk>/", tariffs.tariff_edit, name="tariff_edit"),
        path("facturations/<int:pk>/export.csv", exports.run_export_csv, name="run_export_csv"),
        path("facturations/<int:pk>/export.xlsx", exports.run_export_xlsx, name="run_export_xlsx"),
        path("relances/", reminders.reminders, name="reminders"),
        path("relances/lettres/", reminders.reminder_letters, name="reminder_letters"),
        path("attestations/", certificates.certificates, name="certificates"),
        path(
            "attestations/generer/",
            certificates.certificates_generate,
            name="certificates_generate",
        ),
        path("attestations/imprimer/", certificates.certificates_print, name="certificates_print"),
        path("familles/<int:pk>/mandat/", direct_debit.mandate_add, name="mandate_add"),
        path(
            "mandats/<int:pk>/revoquer/",
            direct_debit.mandate_revoke_view,
            name="mandate_revoke",
        ),
        path("prelevements/", direct_debit.batches, name="debit_batches"),
        path("prelevements/generer/", direct_debit.batch_add, name="debit_batch_add"),
        path("prelevements/<int:pk>/", direct_debit.batch_detail, name="debit_batch"),
        path("prelevements/<int:pk>/fichier/", direct_debit.batch_file, name="debit_batch_file"),
        path(
            "prelevements/operations/<int:pk>/rejet/",
            direct_debit.item_reject,
            name="debit_reject",
        ),
        path("facturations/", runs.runs, name="runs"),
        path("facturations/nouvelle/", runs.run_add, name="run_add"),
        path("facturations/<int:pk>/", runs.run_detail, name="run_detail"),
        path("facturations/<int:pk>/recalculer/", runs.run_recompute, name="run_recompute"),
        path("facturations/<int:pk>/emettre/", runs.run_issue, name="run_issue"),
        path("facturations/<int:pk>/supprimer/", runs.run_remove, name="run_remove"),
    ],
)
