"""Chorus Pro wire models, with Chorus's own camelCase names as aliases (API.md §3).

Answers ignore unknown fields (Chorus sends many) and are lenient where sources disagree:
lists that sometimes come as a single object, identifiers sent as numbers or strings, dates
in three formats. An unreadable date becomes None rather than failing a call whose effect
(a deposit, a completion) has already happened on Chorus's side.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


@cache
def _chorus_zone() -> ZoneInfo:
    return ZoneInfo("Europe/Paris")


def _to_datetime(value: object) -> datetime | None:
    """ISO 8601 with offset, or "YYYY-MM-DD HH:MM" which Chorus gives in Paris local time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_chorus_zone())


def _to_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) >= 10:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _to_list(value: object) -> object:
    """Chorus examples show some lists as a single object; None means empty."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return value


def _to_flag(value: object) -> object:
    return False if value is None else value


ChorusDate = Annotated[date | None, BeforeValidator(_to_date)]
ChorusDateTime = Annotated[datetime | None, BeforeValidator(_to_datetime)]
Flag = Annotated[bool, BeforeValidator(_to_flag)]


class ChorusModel(BaseModel):
    """Base of answers: Chorus names as aliases, numbers accepted where strings are expected."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", coerce_numbers_to_str=True)


class ChorusResponse(ChorusModel):
    code_retour: int = Field(default=0, alias="codeRetour")
    libelle: str | None = None


class ParametresRetour(ChorusModel):
    """Paging block of search answers; `pages` may be 0 on an empty result."""

    nb_resultats_par_page: int | None = Field(default=None, alias="nbResultatsParPage")
    page_courante: int | None = Field(default=None, alias="pageCourante")
    pages: int = 0
    total: int | None = None


class PagedResponse(ChorusResponse):
    parametres_retour: ParametresRetour | None = Field(default=None, alias="parametresRetour")


class DeposerFluxResponse(ChorusResponse):
    numero_flux_depot: str = Field(alias="numeroFluxDepot")
    date_depot: ChorusDate = Field(default=None, alias="dateDepot")
    syntaxe_flux: str | None = Field(default=None, alias="syntaxeFlux")


class ErreurDP(ChorusModel):
    """One invoice of the flux rejected; `numero_dp` is its invoice number."""

    numero_dp: str | None = Field(default=None, alias="numeroDP")
    identifiant_fournisseur: str | None = Field(default=None, alias="identifiantFournisseur")
    identifiant_destinataire: str | None = Field(default=None, alias="identifiantDestinataire")
    libelle_erreur_dp: str | None = Field(default=None, alias="libelleErreurDP")


class ErreurTechnique(ChorusModel):
    code_erreur: str | None = Field(default=None, alias="codeErreur")
    libelle_erreur: str | None = Field(default=None, alias="libelleErreur")
    nature_erreur: str | None = Field(default=None, alias="natureErreur")


class ConsulterCRDetailleResponse(ChorusResponse):
    etat_courant_depot_flux: str = Field(alias="etatCourantDepotFlux")
    date_depot_flux: ChorusDateTime = Field(default=None, alias="dateDepotFlux")
    date_heure_etat_courant_flux: ChorusDateTime = Field(
        default=None, alias="dateHeureEtatCourantFlux"
    )
    nom_fichier: str | None = Field(default=None, alias="nomFichier")
    code_interface_depot_flux: str | None = Field(default=None, alias="codeInterfaceDepotFlux")
    liste_erreur_dp: Annotated[list[ErreurDP], BeforeValidator(_to_list)] = Field(
        default_factory=list, alias="listeErreurDP"
    )
    liste_erreur_technique: Annotated[list[ErreurTechnique], BeforeValidator(_to_list)] = Field(
        default_factory=list, alias="listeErreurTechnique"
    )


class FactureFournisseur(ChorusModel):
    """One item of rechercherFactureParFournisseur."""

    identifiant_facture_cpp: int = Field(alias="identifiantFactureCPP")
    numero_facture: str = Field(alias="numeroFacture")
    statut: str | None = None
    type_facture: str | None = Field(default=None, alias="typeFacture")
    type_demande_paiement: str | None = Field(default=None, alias="typeDemandePaiement")
    date_facture: ChorusDate = Field(default=None, alias="dateFacture")
    date_depot: ChorusDate = Field(default=None, alias="dateDepot")
    date_heure_etat_courant: ChorusDateTime = Field(default=None, alias="dateHeureEtatCourant")
    montant_ht: Decimal | None = Field(default=None, alias="montantHT")
    montant_ttc: Decimal | None = Field(default=None, alias="montantTTC")
    montant_a_payer: Decimal | None = Field(default=None, alias="montantAPayer")
    devise: str | None = None
    numero_flux_depot: str | None = Field(default=None, alias="numeroFluxDepot")
    mode_depot: str | None = Field(default=None, alias="modeDepot")
    code_fournisseur: str | None = Field(default=None, alias="codeFournisseur")
    id_destinataire: int | None = Field(default=None, alias="idDestinataire")
    code_destinataire: str | None = Field(default=None, alias="codeDestinataire")
    designation_destinataire: str | None = Field(default=None, alias="designationDestinataire")
    id_service_executant: int | None = Field(default=None, alias="idServiceExecutant")
    code_service_executant: str | None = Field(default=None, alias="codeServiceExecutant")
    numero_bon_commande: str | None = Field(default=None, alias="numeroBonCommande")
    numero_marche: str | None = Field(default=None, alias="numeroMarche")
    commentaire_etat_courant: str | None = Field(default=None, alias="commentaireEtatCourant")
    rejet_traite: bool | None = Field(default=None, alias="rejetTraite")


class RechercherFactureParFournisseurResponse(PagedResponse):
    liste_factures: Annotated[list[FactureFournisseur], BeforeValidator(_to_list)] = Field(
        default_factory=list, alias="listeFactures"
    )


class HistoStatut(ChorusModel):
    histo_statut_id: int | None = Field(default=None, alias="histoStatutId")
    histo_statut_code: str = Field(alias="histoStatutCode")
    histo_statut_date_passage: ChorusDateTime = Field(default=None, alias="histoStatutDatePassage")
    histo_statut_commentaire: str | None = Field(default=None, alias="histoStatutCommentaire")
    histo_statut_utilisateur_nom: str | None = Field(
        default=None, alias="histoStatutUtilisateurNom"
    )
    histo_statut_utilisateur_prenom: str | None = Field(
        default=None, alias="histoStatutUtilisateurPrenom"
    )


class HistoriquesDesStatuts(ChorusModel):
    histo_statut: Annotated[list[HistoStatut], BeforeValidator(_to_list)] = Field(
        default_factory=list, alias="histoStatut"
    )
    nb_resultats_par_page_histo_statut: int | None = Field(
        default=None, alias="nbResultatsParPageHistoStatut"
    )
    page_courante_histo_statut: int | None = Field(default=None, alias="pageCouranteHistoStatut")
    pages_histo_statut: int | None = Field(default=None, alias="pagesHistoStatut")
    total_histo_statut: int | None = Field(default=None, alias="totalHistoStatut")


class DerniereAction(ChorusModel):
    derniere_action_code: str | None = Field(default=None, alias="derniereActionCode")
    derniere_action_id: int | None = Field(default=None, alias="derniereActionId")


class ConsulterHistoriqueResponse(ChorusResponse):
    """Current status and history, newest entry first (as Chorus sends it)."""

    id_facture: int = Field(alias="idFacture")
    numero_facture: str | None = Field(default=None, alias="numeroFacture")
    mode_depot: str | None = Field(default=None, alias="modeDepot")
    statut_courant_code: str = Field(alias="statutCourantCode")
    derniere_action: DerniereAction | None = Field(default=None, alias="derniereAction")
    historiques_des_statuts: HistoriquesDesStatuts = Field(
        default_factory=HistoriquesDesStatuts, alias="historiquesDesStatuts"
    )

    @property
    def statuses(self) -> list[HistoStatut]:
        return self.historiques_des_statuts.histo_statut


class CompleterFactureResponse(ChorusResponse):
    identifiant_facture_cpp: int | None = Field(default=None, alias="identifiantFactureCPP")
    numero_facture: str | None = Field(default=None, alias="numeroFacture")
    date_traitement: ChorusDateTime = Field(default=None, alias="dateTraitement")


class RecyclerFactureResponse(ChorusResponse):
    identifiant_facture_cpp: int | None = Field(default=None, alias="identifiantFactureCPP")
    numero_facture: str | None = Field(default=None, alias="numeroFacture")
    statut_facture: str | None = Field(default=None, alias="statutFacture")
    date_depot: ChorusDate = Field(default=None, alias="dateDepot")


class AjouterFichierResponse(ChorusResponse):
    """ajouterFichierDansSysteme: the id to cite as an attachment of completerFacture."""

    piece_jointe_id: int = Field(alias="pieceJointeId")


class PieceJointeComplementaire(BaseModel):
    """Attachment of completerFacture; the id comes from ajouterFichierDansSysteme."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    designation: str = Field(alias="pieceJointeComplementaireDesignation", max_length=100)
    piece_jointe_id: int = Field(alias="pieceJointeComplementaireId")
    id_liaison: int = Field(default=0, alias="pieceJointeComplementaireIdLiaison")
    numero_ligne_facture: int = Field(
        default=0, alias="pieceJointeComplementaireNumeroLigneFacture"
    )
    type_piece_jointe: str = Field(default="DIVERS", alias="pieceJointeComplementaireType")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class StructureItem(ChorusModel):
    """One item of rechercherStructure."""

    id_structure_cpp: int = Field(alias="idStructureCPP")
    identifiant_structure: str = Field(alias="identifiantStructure")
    type_identifiant_structure: str | None = Field(default=None, alias="typeIdentifiantStructure")
    designation_structure: str | None = Field(default=None, alias="designationStructure")
    statut: str | None = None


class RechercherStructureResponse(PagedResponse):
    liste_structures: Annotated[list[StructureItem], BeforeValidator(_to_list)] = Field(
        default_factory=list, alias="listeStructures"
    )


class InformationGenerales(ChorusModel):
    """`informationGenerales` (sic, no "s", unlike the service answer)."""

    id_structure_cpp: int | None = Field(default=None, alias="idStructureCPP")
    identifiant_structure: str | None = Field(default=None, alias="identifiantStructure")
    type_identifiant_structure: str | None = Field(default=None, alias="typeIdentifiantStructure")
    libelle_structure: str | None = Field(default=None, alias="libelleStructure")
    raison_sociale_structure: str | None = Field(default=None, alias="raisonSocialeStructure")
    email_structure: str | None = Field(default=None, alias="emailStructure")
    structure_privee_publique: str | None = Field(default=None, alias="structurePriveePublique")
    date_expiration_mot_passe_compte_tech: ChorusDate = Field(
        default=None, alias="dateExpirationMotPasseCompteTech"
    )


class StructureParametres(ChorusModel):
    """Mandatory data a recipient requires on its invoices."""

    code_service_doit_etre_renseigne: Flag = Field(
        default=False, alias="codeServiceDoitEtreRenseigne"
    )
    numero_ej_doit_etre_renseigne: Flag = Field(default=False, alias="numeroEJDoitEtreRenseigne")
    gestion_numero_ej_ou_code_service: Flag = Field(
        default=False, alias="gestionNumeroEJOuCodeService"
    )
    statut_mise_en_paiement_nest_pas_remonte: Flag = Field(
        default=False, alias="statutMiseEnPaiementNestPasRemonte"
    )


class ConsulterStructureResponse(ChorusResponse):
    # Required: a missing block must not read as "nothing is mandatory".
    information_generales: InformationGenerales = Field(alias="informationGenerales")
    parametres: StructureParametres


class ServiceItem(ChorusModel):
    """One item of rechercherServicesStructure."""

    id_service: int = Field(alias="idService")
    code_service: str = Field(alias="codeService")
    libelle_service: str | None = Field(default=None, alias="libelleService")
    est_actif: Flag = Field(default=False, alias="estActif")
    date_dbt_service: ChorusDateTime = Field(default=None, alias="dateDbtService")
    date_fin_service: ChorusDateTime = Field(default=None, alias="dateFinService")
    statut_service: str | None = Field(default=None, alias="statutService")


class RechercherServicesResponse(PagedResponse):
    liste_services: Annotated[list[ServiceItem], BeforeValidator(_to_list)] = Field(
        default_factory=list, alias="listeServices"
    )


class ServiceInformationsGenerales(ChorusModel):
    code_service: str | None = Field(default=None, alias="codeService")
    nom_service: str | None = Field(default=None, alias="nomService")
    description_service: str | None = Field(default=None, alias="descriptionService")


class ServiceParametres(ChorusModel):
    numero_engagement: Flag = Field(default=False, alias="numeroEngagement")
    date_debut_validite: ChorusDateTime = Field(default=None, alias="dateDebutValidite")
    date_fin_validite: ChorusDateTime = Field(default=None, alias="dateFinValidite")


class ConsulterServiceResponse(ChorusResponse):
    informations_generales: ServiceInformationsGenerales = Field(
        default_factory=ServiceInformationsGenerales, alias="informationsGenerales"
    )
    # Required for the same reason as the structure's `parametres`.
    parametres: ServiceParametres
