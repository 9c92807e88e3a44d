package io.gitops.sandbox.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gitops.sandbox.SandboxException;
import org.junit.jupiter.api.Test;

class IntrinsicsTest {
  private final Intrinsics intrinsics = new Intrinsics(new Intrinsics.Scope() {
    @Override
    public JsonNode ref(String stack, String logicalId) {
      return TextNode.valueOf(stack + ":" + logicalId);
    }

    @Override
    public JsonNode getAtt(String stack, String logicalId, String attribute) {
      return TextNode.valueOf(logicalId + "." + attribute);
    }

    @Override
    public JsonNode importValue(String exportName) {
      return TextNode.valueOf("imported(" + exportName + ")");
    }

    @Override
    public JsonNode stackOutput(String stackName, String outputName) {
      return TextNode.valueOf(stackName + "#" + outputName);
    }

    @Override
    public JsonNode condition(String stack, String name) {
      try {
        return switch (name) {
          // Ref resolves to "<stack>:<logicalId>" in this scope.
          case "RunsPlaceholder" -> CloudAssembly.JSON.readTree("{\"Fn::Equals\":[{\"Ref\":\"Image\"},\"dev-Compute:Image\"]}");
          case "OtherImage" -> CloudAssembly.JSON.readTree("{\"Fn::Not\":[{\"Condition\":\"RunsPlaceholder\"}]}");
          case "Both" -> CloudAssembly.JSON.readTree("{\"Fn::And\":[{\"Condition\":\"RunsPlaceholder\"},{\"Condition\":\"OtherImage\"}]}");
          case "Either" -> CloudAssembly.JSON.readTree("{\"Fn::Or\":[{\"Condition\":\"OtherImage\"},{\"Condition\":\"RunsPlaceholder\"}]}");
          default -> throw new SandboxException(stack + ": no condition " + name);
        };
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }, "us-east-1", "123456789012");

  private JsonNode resolve(String json) throws Exception {
    return intrinsics.resolve("dev-Compute", CloudAssembly.JSON.readTree(json), "test");
  }

  @Test
  void pseudoParametersResolveToTheEmulatorsRegionAndAccount() throws Exception {
    assertThat(resolve("{\"Fn::Join\":[\":\",[{\"Ref\":\"AWS::Partition\"},{\"Ref\":\"AWS::Region\"},{\"Ref\":\"AWS::AccountId\"}]]}").asText())
        .isEqualTo("aws:us-east-1:123456789012");
  }

  @Test
  void refAndGetAttGoToTheScopeOfTheirStack() throws Exception {
    assertThat(resolve("{\"a\":{\"Ref\":\"Cluster\"},\"b\":{\"Fn::GetAtt\":[\"Repo\",\"Arn\"]},\"c\":{\"Fn::GetAtt\":\"Repo.RepositoryUri\"}}"))
        .hasToString("{\"a\":\"dev-Compute:Cluster\",\"b\":\"Repo.Arn\",\"c\":\"Repo.RepositoryUri\"}");
  }

  @Test
  void subReplacesVariablesRefsAndAttributes() throws Exception {
    assertThat(resolve("{\"Fn::Sub\":[\"${Name}/${Cluster}/${Repo.Arn}/${AWS::Region}/${!Literal}\",{\"Name\":\"x\"}]}").asText())
        .isEqualTo("x/dev-Compute:Cluster/Repo.Arn/us-east-1/${Literal}");
  }

  @Test
  void selectOfSplitPicksAnArnPart() throws Exception {
    assertThat(resolve("{\"Fn::Select\":[4,{\"Fn::Split\":[\":\",\"arn:aws:ecr:us-east-1:123456789012:repository/bff\"]}]}").asText())
        .isEqualTo("123456789012");
  }

  @Test
  void importValueAsksTheScopeForTheExport() throws Exception {
    assertThat(resolve("{\"Fn::ImportValue\":\"dev-Storage:ExportsOutputRefRepo\"}").asText())
        .isEqualTo("imported(dev-Storage:ExportsOutputRefRepo)");
  }

  @Test
  void getStackOutputReadsAnOutputOfAnotherStackOfTheStage() throws Exception {
    assertThat(resolve("{\"Fn::GetStackOutput\":{\"StackName\":\"dev-Database\",\"Region\":\"us-east-1\",\"OutputName\":\"Arn\"}}").asText())
        .isEqualTo("dev-Database#Arn");
  }

  @Test
  void noValueRemovesTheMember() throws Exception {
    assertThat(resolve("{\"a\":{\"Ref\":\"AWS::NoValue\"},\"b\":1}")).hasToString("{\"b\":1}");
  }

  @Test
  void ifPicksTheBranchOfItsConditionAndNoValueDropsTheMember() throws Exception {
    assertThat(resolve("{\"Command\":{\"Fn::If\":[\"RunsPlaceholder\",[\"sh\",\"-c\",\"x\"],{\"Ref\":\"AWS::NoValue\"}]},\"Name\":\"bff\"}"))
        .hasToString("{\"Command\":[\"sh\",\"-c\",\"x\"],\"Name\":\"bff\"}");
    assertThat(resolve("{\"Command\":{\"Fn::If\":[\"OtherImage\",[\"sh\"],{\"Ref\":\"AWS::NoValue\"}]},\"Name\":\"bff\"}"))
        .hasToString("{\"Name\":\"bff\"}");
    assertThat(resolve("{\"Fn::If\":[\"Both\",\"yes\",\"no\"]}").asText()).isEqualTo("no");
    assertThat(resolve("{\"Fn::If\":[\"Either\",\"yes\",\"no\"]}").asText()).isEqualTo("yes");
  }

  @Test
  void anUnknownConditionFailsNamingIt() {
    assertThatThrownBy(() -> resolve("{\"X\":{\"Fn::If\":[\"Nope\",1,2]}}"))
        .isInstanceOf(SandboxException.class).hasMessageContaining("Nope");
  }

  @Test
  void anUnsupportedFunctionFailsNamingItAndWhereItWas() {
    assertThatThrownBy(() -> resolve("{\"Props\":{\"X\":{\"Fn::Cidr\":[\"10.0.0.0/16\",1,8]}}}"))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("Fn::Cidr")
        .hasMessageContaining("test.Props.X");
  }
}
