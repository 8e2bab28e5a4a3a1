<?xml version="1.0" encoding="UTF-8"?>
<!-- A stand-in for the CEN artefact: same shape of output (SVRL), three toy asserts.
     Fails BR-S-02 when the invoice number starts with "FAIL", XX-01 when it contains "XX",
     and always reports a warning, which must not block. -->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
  <xsl:output method="xml" indent="no"/>
  <xsl:template match="/">
    <xsl:variable name="number" select="string(/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID)"/>
    <svrl:schematron-output title="toy EN 16931">
      <svrl:fired-rule context="/rsm:CrossIndustryInvoice"/>
      <xsl:if test="starts-with($number, 'FAIL')">
        <svrl:failed-assert id="BR-S-02" flag="fatal" location="/rsm:CrossIndustryInvoice[1]/rsm:ExchangedDocument[1]/ram:ID[1]">
          <svrl:text>[BR-S-02]-toy failure on <xsl:value-of select="$number"/></svrl:text>
        </svrl:failed-assert>
      </xsl:if>
      <xsl:if test="contains($number, 'XX')">
        <svrl:failed-assert id="XX-01" location="/rsm:CrossIndustryInvoice[1]">
          <svrl:text>[XX-01]-unknown rule</svrl:text>
        </svrl:failed-assert>
      </xsl:if>
      <svrl:failed-assert id="PEPPOL-TOY" flag="warning" location="/">
        <svrl:text>only a warning</svrl:text>
      </svrl:failed-assert>
    </svrl:schematron-output>
  </xsl:template>
</xsl:stylesheet>
